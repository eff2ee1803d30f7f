// The original system's PostgreSQL tables and queries, for the adoption tests (pg, e2e).
//
// Origin: the original is the Python student project finstream replaces (Manager / Agents /
// Traiteurs around Kafka, pandas-ta indicators, psycopg2 writes). Its source is not part of this
// repository; what is known of its schema comes from the project's design notes and issue #11:
// `technical_indicators` with "id SERIAL, UNIQUE(symbol, date), FLOAT columns" holding symbol,
// date, open, high, low, close, volume, rsi, macd, macd_signal, macd_hist (its MACD columns held a
// copy of its RSI), and `symbol_state (symbol, last_date)`, last_date being the last date planned.
// The DDL below is written from that description in the style of such a project (CREATE TABLE IF
// NOT EXISTS, VARCHAR symbols, FLOAT for every number, volume included). The queries are the ones
// its roles needed: the manager reads and upserts symbol_state, a processor reloads a symbol's
// history and inserts rows one by one. Variants (TEXT symbols, nullable keys, BIGINT volume) are
// tested too, so adoption does not depend on these guesses.
#pragma once

namespace finstream::test::original {

inline constexpr const char* technical_indicators_ddl =
    "CREATE TABLE IF NOT EXISTS technical_indicators (\n"
    "    id SERIAL PRIMARY KEY,\n"
    "    symbol VARCHAR(10) NOT NULL,\n"
    "    date DATE NOT NULL,\n"
    "    open FLOAT,\n"
    "    high FLOAT,\n"
    "    low FLOAT,\n"
    "    close FLOAT,\n"
    "    volume FLOAT,\n"
    "    rsi FLOAT,\n"
    "    macd FLOAT,\n"
    "    macd_signal FLOAT,\n"
    "    macd_hist FLOAT,\n"
    "    UNIQUE(symbol, date)\n"
    ")";

inline constexpr const char* symbol_state_ddl = "CREATE TABLE IF NOT EXISTS symbol_state (\n"
                                                "    symbol VARCHAR(10) PRIMARY KEY,\n"
                                                "    last_date DATE\n"
                                                ")";

/// A processor's write of one row ($1 symbol, $2 date, $3..$7 open..volume, $8 rsi; the MACD
/// columns get the RSI, as the original did).
inline constexpr const char* insert_row =
    "INSERT INTO technical_indicators (symbol, date, open, high, low, close, volume, rsi, macd,\n"
    "    macd_signal, macd_hist)\n"
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $8)\n"
    "ON CONFLICT (symbol, date) DO UPDATE SET rsi = EXCLUDED.rsi, macd = EXCLUDED.macd,\n"
    "    macd_signal = EXCLUDED.macd_signal, macd_hist = EXCLUDED.macd_hist";

/// A processor's reload of a symbol's history ($1 symbol).
inline constexpr const char* load_history =
    "SELECT id, date, open, high, low, close, volume, rsi, macd, macd_signal, macd_hist\n"
    "FROM technical_indicators WHERE symbol = $1 ORDER BY date";

/// The manager's read and write of its progress ($1 symbol, $2 last date planned).
inline constexpr const char* read_state = "SELECT last_date FROM symbol_state WHERE symbol = $1";
inline constexpr const char* upsert_state =
    "INSERT INTO symbol_state (symbol, last_date) VALUES ($1, $2)\n"
    "ON CONFLICT (symbol) DO UPDATE SET last_date = EXCLUDED.last_date";

} // namespace finstream::test::original
