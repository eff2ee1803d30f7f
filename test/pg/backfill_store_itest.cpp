// Integration tests of the backfill request queue: recorded, read until settled, settled only
// together with the tasks that cover it.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "pg/backfill_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"

using namespace finstream;

TEST_CASE("backfill requests stay pending until settled with their tasks", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t from = *parse_date("2010-01-01"), to = *parse_date("2012-12-31");
  const auto a = pg::request_backfill(c, {"AAPL", "BRK-B", "^GSPC"}, from, to);
  const auto b = pg::request_backfill(c, {}, from + 1, to);
  CHECK(b > a);
  auto pending = pg::pending_backfill_requests(c);
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].id == a);
  CHECK(pending[0].symbols == std::vector<std::string>{"AAPL", "BRK-B", "^GSPC"});
  CHECK(pending[0].from == from);
  CHECK(pending[0].to == to);
  CHECK(pending[1].id == b);
  CHECK(pending[1].symbols.empty());
  CHECK(pending[1].from == from + 1);
  // Reading is not taking.
  CHECK(pg::pending_backfill_requests(c).size() == 2);
  // AAPL and BRK-B planned, ^GSPC busy: request a keeps ^GSPC; b is fully planned.
  CHECK(pg::mark_planned_settling(c, {{"AAPL", "t1", from, to}, {"BRK-B", "t2", from, to}},
                                  {{a, false, {"^GSPC"}}, {b, true, {}}}) == 2);
  pending = pg::pending_backfill_requests(c);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].id == a);
  CHECK(pending[0].symbols == std::vector<std::string>{"^GSPC"});
  CHECK(test::count(c, "SELECT count(*) FROM symbol_state WHERE status = 'planned'") == 2);
  CHECK(pg::mark_planned_settling(c, {{"^GSPC", "t3", from, to}}, {{a, true, {}}}) == 1);
  CHECK(pg::pending_backfill_requests(c).empty());
}

TEST_CASE("a settlement whose tasks cannot be planned changes nothing", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t d = *parse_date("2020-01-01");
  const auto id = pg::request_backfill(c, {"AAPL"}, d, d + 10);
  // The settlement is written first in the transaction; the invalid task list rolls it back.
  CHECK_THROWS_AS(
      pg::mark_planned_settling(c, {{"AAPL", "t", d, d}, {"AAPL", "u", d, d}}, {{id, true, {}}}),
      std::invalid_argument);
  REQUIRE(pg::pending_backfill_requests(c).size() == 1);
  CHECK(test::count(c, "SELECT count(*) FROM symbol_state") == 0);
  CHECK_THROWS_AS(pg::mark_planned_settling(c, {}, {{id, false, {"bad sym"}}}),
                  std::invalid_argument);
  CHECK(pg::pending_backfill_requests(c).front().symbols == std::vector<std::string>{"AAPL"});
}

TEST_CASE("request_backfill validates symbols and range before any SQL", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  CHECK_THROWS_AS(pg::request_backfill(c, {"AAPL", "no good"}, 1, 2), std::invalid_argument);
  CHECK_THROWS_AS(pg::request_backfill(c, {"AAPL"}, 3, 2), std::invalid_argument);
  CHECK(test::count(c, "SELECT count(*) FROM backfill_requests") == 0);
}
