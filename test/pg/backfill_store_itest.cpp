// Integration tests of the backfill request queue: recorded, read until settled, settled only
// together with the tasks that cover it.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

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

TEST_CASE("backfill store: a deposed leader's planning is refused whole, a newer term waits for a "
          "planning in progress",
          "[pg][backfill]") {
  test::scratch_db db{"fs_term"};
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t d = *parse_date("2024-01-02");
  const auto first = pg::begin_leader_term(c);
  CHECK(pg::mark_planned_settling(c, {{"AAPL", "t1", d, d}}, {}, first) == std::size_t{1});
  // A newer leader began its term: the old one's planning changes nothing.
  const auto second = pg::begin_leader_term(c);
  CHECK(second == first + 1);
  auto id = pg::request_backfill(c, {"MSFT"}, d, d);
  CHECK_FALSE(pg::mark_planned_settling(c, {{"AAPL", "t2", d, d}, {"MSFT", "t3", d, d}},
                                        {{id, true, {}}}, first)
                  .has_value());
  CHECK(test::scalar(c, "SELECT task_id FROM symbol_state WHERE symbol = 'AAPL'") == "t1");
  CHECK(test::count(c, "SELECT count(*) FROM symbol_state WHERE symbol = 'MSFT'") == 0);
  CHECK(test::count(c, "SELECT count(*) FROM backfill_requests WHERE taken_at IS NULL") == 1);
  CHECK(pg::mark_planned_settling(c, {{"MSFT", "t3", d, d}}, {{id, true, {}}}, second) ==
        std::size_t{1});

  // A planning in progress (the term row share-locked) makes a new term wait until it is in.
  pg::connection planner{db.dsn()};
  planner.exec("BEGIN");
  planner.exec("SELECT term FROM manager_term WHERE id = 1 FOR SHARE");
  std::atomic<bool> done{false};
  std::int64_t third = 0;
  std::thread next([&] {
    pg::connection other{db.dsn()};
    third = pg::begin_leader_term(other);
    done = true;
  });
  // It waits on the row lock (seen by the server), not merely slow.
  const auto waiting = [&] {
    return test::count(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                          "current_database() AND wait_event_type = 'Lock' AND query LIKE "
                          "'UPDATE manager_term%'") == 1;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (!waiting() && !done.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  CHECK(waiting());
  CHECK_FALSE(done.load());
  planner.exec("COMMIT");
  next.join();
  CHECK(third == second + 1);
}
