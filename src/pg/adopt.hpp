// Adoption of the original system's database (the Python project finstream replaces): detection,
// a read-only plan, and the in-place conversion that stands in for schema version 1.
//
// The original kept `technical_indicators` (id SERIAL primary key, UNIQUE (symbol, date), FLOAT
// columns open..volume, rsi, macd, macd_signal, macd_hist; its MACD columns held a copy of its RSI)
// and `symbol_state (symbol, last_date)`, where last_date was the last date *planned*, not stored.
// Adoption keeps every price row, makes (symbol, date) the primary key (id stays as a plain column
// with its sequence default), adds finstream's columns, replaces symbol_state by finstream's with
// each symbol's coverage derived from the rows actually stored, creates the rest of version 1, and
// marks every adopted symbol's processor state unusable, so that the first batch a processor gets
// for it recomputes every indicator of every stored row from the stored bars. Migration 8 then
// records one backfill request of each symbol's last covered session, so that this first batch
// comes at the manager's first tick even when nothing new is due.
#pragma once

#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace finstream::pg {

/// schema_migrations.name of version 1 when adoption applied it (migration 8 looks for it).
inline constexpr const char* adopted_v1_name = "initial schema (adopted the original system's tables)";

/// Two stored rows of a symbol further apart than this many days are a gap (no market closes that
/// long; the original fetched by month, so a month it failed to store leaves 28 days or more): the
/// symbol's coverage ends before it, and the manager fetches again from there.
inline constexpr int adoption_gap_days = 20;

/// True when the database holds a `technical_indicators` table but no record of schema version 1:
/// the original system's tables (or something else: inspection tells). Reads only.
bool holds_original_tables(connection& c);

/// What adoption will do, one line per step, from the catalog and the stored rows. Reads only.
/// Throws pg_error(other) with what to do when the tables cannot be adopted as they are (rows
/// without symbol or date, duplicate keys, a table that is not the original's).
std::vector<std::string> plan_adoption(connection& c);

/// Converts the original tables in place and creates the rest of version 1 (`v1_statements`: the
/// DDL of version 1, whose statements for technical_indicators and symbol_state are replaced by the
/// conversion). Runs inside the caller's transaction, which records version 1 as adopted_v1_name.
/// Same checks as plan_adoption().
void adopt_original_tables(connection& c, const std::vector<std::string>& v1_statements);

/// Migration 8's step: when version 1 was adopted, records one backfill request per distinct
/// covered last date, of that session, for every adopted symbol with stored rows. A no-op on any
/// other database. Runs inside the caller's transaction.
void request_adopted_recompute(connection& c);

/// One line describing migration 8's step, for the plan of a database being adopted.
std::string adopted_recompute_plan();

} // namespace finstream::pg
