// Integration tests of the query plans that must not grow with stored history: latest_indicators,
// the planner's symbol_state reads, the processors' state restore and the sink's append check use
// indexes (checked with EXPLAIN and with the server's per-table scan counters) on tables large
// enough that a sequential scan would be the planner's choice without a usable index.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "pg/manager_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/processor_store.hpp"
#include "pg/sink.hpp"

using namespace finstream;
using test::count;
using test::make_row;
using test::scalar;

namespace {

constexpr int history_symbols = 1000; // symbols with stored rows
constexpr int history_days = 300;     // rows per symbol
constexpr int known_symbols = 20000;  // symbol_state / processor_symbol_state / exclusions rows

std::string sym(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "S%05d", i);
  return b;
}

// A database with 300,000 stored rows and 20,000 rows in each per-symbol table, analysed.
struct big_db {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  big_db() {
    pg::migrate(c);
    c.exec("INSERT INTO symbol_state (symbol, first_date, last_date, status)\n"
           "SELECT format('S%s', lpad(i::text, 5, '0')), DATE '2020-01-01', DATE '2020-12-31', "
           "'done' FROM generate_series(0, " +
           std::to_string(known_symbols - 1) + ") AS i");
    c.exec("INSERT INTO processor_symbol_state (symbol, last_date, algo_version, state)\n"
           "SELECT symbol, last_date, 1, '\\x00' FROM symbol_state");
    // Exclusions of other symbols (the sink's check reads this table too).
    c.exec("INSERT INTO symbol_exclusions (symbol, purged_at)\n"
           "SELECT format('X%s', i), now() FROM generate_series(1, " +
           std::to_string(known_symbols) + ") AS i");
    c.exec("INSERT INTO technical_indicators (symbol, date, close)\n"
           "SELECT format('S%s', lpad(s::text, 5, '0')), DATE '2020-01-01' + d, s + d\n"
           "FROM generate_series(0, " +
           std::to_string(history_symbols - 1) + ") AS s, generate_series(0, " +
           std::to_string(history_days - 1) + ") AS d");
    c.exec("ANALYZE");
  }
};

std::string plan(pg::connection& c, const std::string& sql) {
  auto r = c.exec("EXPLAIN (FORMAT JSON) " + sql);
  return r.str(0, 0);
}

// Sequential and index scans of `table` so far, as the statistics system counts them. `worker`
// is the connection that did the work: its pending counters are flushed first.
struct scans {
  std::int64_t seq = 0;
  std::int64_t idx = 0;
};
scans scans_of(pg::connection& worker, pg::connection& observer, const std::string& table) {
  worker.exec("SELECT pg_stat_force_next_flush()");
  worker.exec("SELECT 1"); // the flush happens when the session next goes idle
  auto r = observer.query("SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables\n"
                          "WHERE relname = $1 AND schemaname = current_schema()",
                          table);
  REQUIRE(r.rows() == 1);
  return {r.int64(0, 0), r.int64(0, 1)};
}

} // namespace

TEST_CASE("latest_indicators finds each symbol's newest row by index, never scanning the table",
          "[pg][plans]") {
  big_db m;
  const std::string some = "'{" + sym(3) + "," + sym(777) + "," + sym(15000) + "}'";

  const auto filtered = plan(m.c, "SELECT * FROM latest_indicators WHERE symbol = ANY(" + some +
                                      "::text[])");
  INFO(filtered);
  CHECK(filtered.find("Seq Scan") == std::string::npos);
  CHECK(filtered.find("technical_indicators_pkey") != std::string::npos);

  const auto whole = plan(m.c, "SELECT * FROM latest_indicators");
  INFO(whole);
  CHECK(whole.find("\"Relation Name\": \"technical_indicators\"") != std::string::npos);
  // Every access to technical_indicators goes through its primary key.
  std::size_t at = 0, accesses = 0;
  while ((at = whole.find("\"Relation Name\": \"technical_indicators\"", at)) !=
         std::string::npos) {
    ++accesses;
    const auto node = whole.rfind("\"Node Type\":", at);
    REQUIRE(node != std::string::npos);
    CHECK(whole.substr(node, at - node).find("Index") != std::string::npos);
    ++at;
  }
  CHECK(accesses >= 1);

  // Same rows as the definition it replaces (DISTINCT ON over the whole table).
  const std::string before =
      "SELECT DISTINCT ON (symbol) * FROM technical_indicators ORDER BY symbol, date DESC";
  CHECK(count(m.c, "SELECT count(*) FROM latest_indicators") == history_symbols);
  CHECK(count(m.c, "SELECT count(*) FROM ((" + before +
                       ") EXCEPT (SELECT * FROM latest_indicators)) AS d") == 0);
  CHECK(scalar(m.c, "SELECT string_agg(symbol || ' ' || date || ' ' || close, ',' ORDER BY "
                    "symbol) FROM latest_indicators WHERE symbol = ANY(" +
                        some + "::text[])") ==
        scalar(m.c, "SELECT string_agg(symbol || ' ' || date || ' ' || close, ',' ORDER BY "
                    "symbol) FROM (" +
                        before + ") AS b WHERE symbol = ANY(" + some + "::text[])"));
}

TEST_CASE("the planner's reads, the processors' restore and the sink's append check use indexes",
          "[pg][plans]") {
  big_db m;
  pg::connection observer{m.db.dsn()};
  std::vector<std::string> batch_symbols;
  for (int i = 0; i < 100; ++i)
    batch_symbols.push_back(sym(i * 150));

  auto before_state = scans_of(m.c, observer, "symbol_state");
  const auto states = pg::read_symbol_states(m.c, batch_symbols);
  CHECK(states.size() == batch_symbols.size());
  auto after_state = scans_of(m.c, observer, "symbol_state");
  CHECK(after_state.seq == before_state.seq);
  CHECK(after_state.idx > before_state.idx);

  auto before_proc = scans_of(m.c, observer, "processor_symbol_state");
  CHECK(pg::load_symbol_state(m.c, batch_symbols).size() == batch_symbols.size());
  auto after_proc = scans_of(m.c, observer, "processor_symbol_state");
  CHECK(after_proc.seq == before_proc.seq);
  CHECK(after_proc.idx > before_proc.idx);

  // A daily batch: one new day for each of the 100 symbols, through the append path.
  pg::sink_options o;
  o.enable_metrics = false;
  pg::sink s{m.db.dsn(), o};
  pg::batch b;
  for (const auto& symbol : batch_symbols) {
    b.rows.push_back(make_row(symbol, *parse_date("2021-01-04")));
    b.states.push_back({symbol, *parse_date("2021-01-04"), 1, "s"});
  }
  const auto p0 = scans_of(s.conn(), observer, "processor_symbol_state");
  const auto x0 = scans_of(s.conn(), observer, "symbol_exclusions");
  const auto t0 = scans_of(s.conn(), observer, "technical_indicators");
  const auto r = s.write(b);
  REQUIRE(r.status == pg::write_status::committed);
  CHECK(r.path == pg::row_path::append);
  const auto p1 = scans_of(s.conn(), observer, "processor_symbol_state");
  const auto x1 = scans_of(s.conn(), observer, "symbol_exclusions");
  const auto t1 = scans_of(s.conn(), observer, "technical_indicators");
  CHECK(p1.seq == p0.seq);
  CHECK(x1.seq == x0.seq);
  CHECK(t1.seq == t0.seq);
  CHECK(p1.idx > p0.idx);
}
