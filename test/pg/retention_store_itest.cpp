// Integration tests of retention overruns in PostgreSQL: recorded once per claim, with a re-plan of
// exactly the partition's known symbols over their known ranges, and resync rows.
#include <catch2/catch.hpp>

#include <set>

#include "pg/backfill_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/processor_store.hpp"
#include "pg/retention_store.hpp"

using namespace finstream;

TEST_CASE("a retention overrun moves the position once and re-plans the partition's symbols",
          "[pg][retention_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t d = *parse_date("2015-01-01");
  // A (partition 0) done over [d, d+100] with rows from d+2; B (partition 0) planned only;
  // C (partition 1) done; D (partition 0) has a processor state and rows but no symbol_state;
  // E (partition 0) known but never planned or stored.
  c.exec("INSERT INTO symbol_state (symbol, first_date, last_date, status) VALUES "
         "('A', '2015-01-01', '2015-04-11', 'done'), ('C', '2015-01-01', '2015-04-11', 'done'), "
         "('E', NULL, NULL, 'pending')");
  c.exec("INSERT INTO symbol_state (symbol, status, planned_from, planned_to, task_id) VALUES "
         "('B', 'planned', '2014-06-01', '2015-04-11', 't')");
  c.exec("INSERT INTO technical_indicators (symbol, date) VALUES ('A', '2015-01-03'), "
         "('A', '2015-04-20'), ('D', '2013-01-02'), ('D', '2014-01-02')");
  c.exec("INSERT INTO processor_symbol_state (symbol, last_date, algo_version, state) VALUES "
         "('D', '2014-01-02', 1, '')");
  auto partition_of = [](const std::string& s) { return s == "C" ? 1 : 0; };

  auto claims = pg::claim_partitions(c, "g", "t", {0});
  REQUIRE(claims.size() == 1);
  pg::retention_overrun o{"g", "t", 0, claims[0].epoch, claims[0].next_offset, 40};
  SECTION("recorded once, with one request per distinct range") {
    auto replan = pg::record_retention_overrun(c, o, partition_of);
    REQUIRE(replan);
    std::map<std::string, std::pair<day_t, day_t>> range;
    for (const auto& r : *replan)
      for (const auto& s : r.symbols)
        range[s] = {r.from, r.to};
    REQUIRE(range.size() == 3); // A, B, D: not C (other partition), not E (nothing known)
    CHECK(range["A"] == std::make_pair(d, *parse_date("2015-04-20")));
    CHECK(range["B"] == std::make_pair(*parse_date("2014-06-01"), *parse_date("2015-04-11")));
    CHECK(range["D"] == std::make_pair(*parse_date("2013-01-02"), *parse_date("2014-01-02")));
    CHECK(pg::pending_backfill_requests(c).size() == replan->size());
    CHECK(test::count(c, "SELECT next_offset FROM processor_offsets WHERE partition = 0") == 40);
    auto resyncs = pg::pending_resyncs(c);
    const std::map<std::string, day_t> want{
        {"A", d}, {"B", *parse_date("2014-06-01")}, {"D", *parse_date("2013-01-02")}};
    CHECK(resyncs == want);
    // The same overrun seen again (a retry, another claim's stale view) records nothing.
    CHECK_FALSE(pg::record_retention_overrun(c, o, partition_of));
    CHECK(pg::pending_backfill_requests(c).size() == replan->size());
    // A finished resync goes; one with another date (a newer overrun) stays.
    pg::finish_resync(c, "A", d);
    pg::finish_resync(c, "B", d);
    CHECK(pg::pending_resyncs(c).size() == 2);
  }
  SECTION("a newer claim fences the overrun of an older one") {
    pg::claim_partitions(c, "g", "t", {0});
    CHECK_FALSE(pg::record_retention_overrun(c, o, partition_of));
    CHECK(pg::pending_backfill_requests(c).empty());
    CHECK(pg::pending_resyncs(c).empty());
  }
}
