// Integration tests of the adoption of the original system's tables (pg/adopt.hpp) on the real
// PostgreSQL: the plan changes nothing, other commands refuse, `migrate` converts in place (rows,
// keys, columns, coverage from the stored rows, unusable processor states, recompute requests),
// the original's queries keep working, variants of the original DDL, and refusals.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/indicator_row.hpp"
#include "pg/adopt.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "support/bar_walk.hpp"
#include "support/original_schema.hpp"

using namespace finstream;
using test::count;
using test::scalar;

namespace {

pg::migrate_options adopting() {
  pg::migrate_options o;
  o.adopt_original = true;
  return o;
}

pg::migrate_options planning() {
  pg::migrate_options o;
  o.plan_only = true;
  return o;
}

// Stores `n` bars of `symbol` from `first` as the original did: every number a FLOAT, the RSI
// (here any value, NaN while "warming up") copied into the three MACD columns.
void store_original(pg::connection& c, const std::string& symbol, day_t first, int n,
                    std::uint32_t seed) {
  int i = 0;
  for (const auto& b : test::walk(first, n, seed)) {
    const double rsi = i < 14 ? std::nan("") : 30.0 + (i % 40);
    c.query(test::original::insert_row, symbol, format_date(b.date), b.open, b.high, b.low, b.close,
            static_cast<double>(b.volume), rsi);
    ++i;
  }
}

// The catalog's description of the database's tables and columns (to check that nothing changed).
std::string catalog(pg::connection& c) {
  return scalar(c, "SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' "
                   "|| is_nullable, ',' ORDER BY table_name, ordinal_position)\n"
                   "FROM information_schema.columns WHERE table_schema = 'public'") +
         "|" +
         scalar(c, "SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY "
                   "conname) FROM pg_constraint WHERE connamespace = 'public'::regnamespace");
}

std::string text_of(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

// The original system's database: AAA stored Jan 1 .. Feb 29 2024 but planned through Mar 31;
// BBB stored 30 days, a 40-day gap (a month the original failed to store), then 10 days; CCC
// planned, nothing stored; "lowx" stored under a symbol finstream refuses.
struct original_db {
  test::scratch_db db{"fs_adopt"};
  pg::connection c{db.dsn()};
  const day_t jan1 = make_day(2024, 1, 1);

  original_db() {
    c.exec(test::original::technical_indicators_ddl);
    c.exec(test::original::symbol_state_ddl);
    store_original(c, "AAA", jan1, 60, 1);
    store_original(c, "BBB", jan1, 30, 2);
    store_original(c, "BBB", jan1 + 70, 10, 3);
    store_original(c, "lowx", jan1, 5, 4);
    for (const char* s : {"AAA", "BBB", "CCC"})
      c.query(test::original::upsert_state, s, "2024-03-31");
  }
};

} // namespace

TEST_CASE("adoption plan: describes every step and changes nothing", "[pg][adopt]") {
  original_db o;
  const auto before = catalog(o.c);
  const auto rows = count(o.c, "SELECT count(*) FROM technical_indicators");

  const auto r = pg::migrate(o.c, planning());
  const auto plan = text_of(r.plan);
  INFO(plan);
  CHECK(r.applied.empty());
  CHECK(r.version == 0);
  CHECK(plan.find("adopt the original system's tables") != std::string::npos);
  CHECK(plan.find("keep all " + std::to_string(rows) + " rows (3 symbols") != std::string::npos);
  CHECK(plan.find("primary key (symbol, date) instead of PRIMARY KEY (id)") != std::string::npos);
  CHECK(plan.find("volume double precision -> bigint") != std::string::npos);
  CHECK(plan.find("symbol character varying(10) -> text") != std::string::npos);
  CHECK(plan.find("add " + std::to_string(indicator_column_count - 4 + 1) + " columns") !=
        std::string::npos);
  CHECK(plan.find("keep column(s) id integer DEFAULT nextval") != std::string::npos);
  // Every row past the 14 "warm-up" rows of each batch stored has MACD = RSI: AAA's, BBB's first.
  CHECK(plan.find(std::to_string((60 - 14) + (30 - 14)) +
                  " rows hold a MACD equal to their RSI") != std::string::npos);
  CHECK(plan.find("AAA: planned through 2024-03-31, rows through 2024-02-29") != std::string::npos);
  CHECK(plan.find("BBB: rows to 2024-01-30") != std::string::npos);
  CHECK(plan.find("1 symbols of symbol_state have no stored row: pending (CCC)") !=
        std::string::npos);
  CHECK(plan.find("not valid finstream symbols") != std::string::npos);
  CHECK(plan.find("version 8: recompute adopted symbols") != std::string::npos);

  CHECK(catalog(o.c) == before);
  CHECK(scalar(o.c, "SELECT to_regclass('schema_migrations') IS NULL") == "t");
  CHECK(count(o.c, "SELECT count(*) FROM technical_indicators") == rows);
  CHECK(scalar(o.c, "SELECT last_date FROM symbol_state WHERE symbol = 'AAA'") == "2024-03-31");
}

TEST_CASE("adoption: other commands refuse the original's tables until migrate adopts them",
          "[pg][adopt]") {
  original_db o;
  const auto before = catalog(o.c);
  try {
    pg::migrate(o.c);
    FAIL("migrate without adopt_original accepted the original's tables");
  } catch (const pg::pg_error& e) {
    CHECK(std::string{e.what()}.find("finstream migrate --plan") != std::string::npos);
  }
  CHECK(catalog(o.c) == before);
}

TEST_CASE("adoption: rows kept, (symbol, date) key, columns added, coverage from stored rows, "
          "recompute requested",
          "[pg][adopt]") {
  original_db o;
  const auto prices = scalar(o.c, "SELECT string_agg(symbol || date || ':' || open || high || low "
                                  "|| close || volume, ',' ORDER BY symbol, date) FROM "
                                  "technical_indicators");
  const auto rows = count(o.c, "SELECT count(*) FROM technical_indicators");

  const auto r = pg::migrate(o.c, adopting());
  CHECK(r.adopted);
  CHECK(r.applied.size() == pg::migrations().size());
  CHECK(scalar(o.c, "SELECT name FROM schema_migrations WHERE version = 1") ==
        pg::adopted_v1_name);

  // Rows and prices unchanged (volume now bigint: the same whole numbers).
  CHECK(count(o.c, "SELECT count(*) FROM technical_indicators") == rows);
  CHECK(scalar(o.c, "SELECT string_agg(symbol || date || ':' || open || high || low || close || "
                    "volume, ',' ORDER BY symbol, date) FROM technical_indicators") == prices);
  // Keys: (symbol, date) is the primary key; the original's UNIQUE is gone with its id key.
  CHECK(scalar(o.c, "SELECT string_agg(pg_get_constraintdef(oid), ',') FROM pg_constraint\n"
                    "WHERE conrelid = 'technical_indicators'::regclass") ==
        "PRIMARY KEY (symbol, date)");
  // Every column of finstream's table, with its type; id kept, nullable, numbered by its sequence.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"symbol", "text"},          {"date", "date"},           {"open", "double precision"},
      {"high", "double precision"}, {"low", "double precision"}, {"close", "double precision"},
      {"adj_close", "double precision"}, {"volume", "bigint"}};
  for (const char* name : indicator_columns)
    expected.emplace_back(name, "double precision");
  for (const auto& [name, type] : expected) {
    INFO(name);
    CHECK(scalar(o.c, "SELECT data_type FROM information_schema.columns WHERE table_name = "
                      "'technical_indicators' AND column_name = '" + name + "'") == type);
  }
  CHECK(scalar(o.c, "SELECT is_nullable || ' ' || (column_default LIKE 'nextval%')::text FROM "
                    "information_schema.columns WHERE table_name = 'technical_indicators' AND "
                    "column_name = 'id'") == "YES true");

  // Coverage from the rows stored: AAA through its last row (not the planned Mar 31), BBB up to
  // its gap, CCC pending; lowx left out.
  auto cover = [&](const char* s) {
    return scalar(o.c, std::string{"SELECT status || ' ' || coalesce(first_date::text, '-') || ' "
                                   "' || coalesce(last_date::text, '-') FROM symbol_state WHERE "
                                   "symbol = '"} + s + "'");
  };
  CHECK(cover("AAA") == "done 2024-01-01 2024-02-29");
  CHECK(cover("BBB") == "done 2024-01-01 2024-01-30");
  CHECK(cover("CCC") == "pending - -");
  CHECK(count(o.c, "SELECT count(*) FROM symbol_state") == 3);

  // Every adopted symbol's processor state is unusable (recomputed from the stored bars).
  CHECK(scalar(o.c, "SELECT string_agg(symbol || ' ' || last_date || ' ' || algo_version || ' ' || "
                    "length(state), ',' ORDER BY symbol) FROM processor_symbol_state") ==
        "AAA 2024-02-29 0 0,BBB 2024-03-20 0 0");
  // Migration 8: one backfill request of each symbol's last covered session.
  CHECK(scalar(o.c, "SELECT string_agg(array_to_string(symbols, ' ') || ' ' || from_date || ' ' || "
                    "to_date, ',' ORDER BY id) FROM backfill_requests WHERE taken_at IS NULL") ==
        "BBB 2024-01-30 2024-01-30,AAA 2024-02-29 2024-02-29");

  // The original's queries still work: reload, write a new and an existing row, manager state.
  CHECK(o.c.query(test::original::load_history, "AAA").rows() == 60);
  o.c.query(test::original::insert_row, "AAA", "2024-03-01", 1.0, 2.0, 0.5, 1.5, 1000.0, 55.0);
  o.c.query(test::original::insert_row, "AAA", "2024-01-02", 1.0, 2.0, 0.5, 1.5, 1000.0, 56.0);
  CHECK(count(o.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAA'") == 61);
  CHECK(scalar(o.c, "SELECT id IS NOT NULL FROM technical_indicators WHERE symbol = 'AAA' AND date "
                    "= '2024-03-01'") == "t");
  o.c.query(test::original::upsert_state, "DDD", "2024-04-30");
  CHECK(o.c.query(test::original::read_state, "DDD").str(0, 0) == "2024-04-30");

  // Idempotent afterwards.
  const auto again = pg::migrate(o.c, adopting());
  CHECK(again.applied.empty());
  CHECK_FALSE(again.adopted);
  CHECK(pg::migrate(o.c).applied.empty()); // and other commands now accept the database
  CHECK(count(o.c, "SELECT count(*) FROM backfill_requests") == 2);
}

TEST_CASE("adoption: a variant of the original DDL (text symbols, nullable keys, bigint volume, "
          "no symbol_state)",
          "[pg][adopt]") {
  test::scratch_db db{"fs_adopt"};
  pg::connection c{db.dsn()};
  c.exec("CREATE TABLE technical_indicators (id SERIAL PRIMARY KEY, symbol TEXT, date DATE, open "
         "FLOAT, high FLOAT, low FLOAT, close FLOAT, volume BIGINT, rsi FLOAT, macd FLOAT, "
         "macd_signal FLOAT, macd_hist FLOAT, UNIQUE(symbol, date))");
  store_original(c, "AAA", make_day(2024, 1, 1), 20, 5);
  pg::migrate(c, adopting());
  CHECK(scalar(c, "SELECT string_agg(pg_get_constraintdef(oid), ',') FROM pg_constraint\n"
                  "WHERE conrelid = 'technical_indicators'::regclass") ==
        "PRIMARY KEY (symbol, date)");
  CHECK(scalar(c, "SELECT string_agg(is_nullable, ',') FROM information_schema.columns WHERE "
                  "table_name = 'technical_indicators' AND column_name IN ('symbol', 'date')") ==
        "NO,NO");
  CHECK(scalar(c, "SELECT status || ' ' || first_date || ' ' || last_date FROM symbol_state") ==
        "done 2024-01-01 2024-01-20");
  CHECK(count(c, "SELECT count(*) FROM processor_symbol_state WHERE algo_version = 0") == 1);
}

TEST_CASE("adoption refuses rows it cannot key, saying what to do, and changes nothing",
          "[pg][adopt]") {
  test::scratch_db db{"fs_adopt"};
  pg::connection c{db.dsn()};
  c.exec("CREATE TABLE technical_indicators (id SERIAL PRIMARY KEY, symbol TEXT, date DATE, close "
         "FLOAT)");
  c.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES ('AAA', '2024-01-02', 1), "
         "('AAA', '2024-01-02', 2)");
  const auto before = catalog(c);
  for (const auto& opts : {planning(), adopting()}) {
    try {
      pg::migrate(c, opts);
      FAIL("duplicate keys accepted");
    } catch (const pg::pg_error& e) {
      CHECK(std::string{e.what()}.find("1 (symbol, date) pair(s)") != std::string::npos);
    }
  }
  c.exec("DELETE FROM technical_indicators WHERE close = 2");
  c.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES ('AAA', NULL, 3)");
  try {
    pg::migrate(c, adopting());
    FAIL("a row without date accepted");
  } catch (const pg::pg_error& e) {
    CHECK(std::string{e.what()}.find("have no symbol or no date; delete them") != std::string::npos);
  }
  CHECK(scalar(c, "SELECT to_regclass('schema_migrations') IS NULL") == "t");
  CHECK(catalog(c) == before);
}
