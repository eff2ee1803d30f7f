// Integration tests of the manager's symbol_state reads and task planning.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "pg/manager_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"

using namespace finstream;

TEST_CASE("mark_planned records many tasks in one statement and keeps progress",
          "[pg][manager_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t jan1 = *parse_date("2024-01-01"), jan31 = *parse_date("2024-01-31");
  std::vector<pg::planned_task> tasks;
  for (int i = 0; i < 500; ++i)
    tasks.push_back({"SYM" + std::to_string(i), "plan-1/" + std::to_string(i), jan1, jan31});
  CHECK(pg::mark_planned(c, tasks) == 500);
  CHECK(test::count(c, "SELECT count(*) FROM symbol_state WHERE status = 'planned'") == 500);

  c.exec("UPDATE symbol_state SET last_date = '2023-12-29', attempts = 2, last_error = 'x' "
         "WHERE symbol = 'SYM7'");
  CHECK(pg::mark_planned(c, {{"SYM7", "plan-2/7", jan1 + 31, jan31 + 29}}) == 1);
  auto rows = pg::read_symbol_states(c, {"SYM7", "SYM8", "NEVER"});
  REQUIRE(rows.size() == 2);
  const auto& s7 = rows[0];
  CHECK(s7.symbol == "SYM7");
  CHECK(s7.status == "planned");
  CHECK(s7.task_id == "plan-2/7");
  CHECK(s7.planned_from == jan1 + 31);
  CHECK(s7.planned_to == jan31 + 29);
  CHECK(s7.last_date == *parse_date("2023-12-29")); // kept
  CHECK(s7.attempts == 2);
  CHECK(s7.last_error == "x");
  CHECK(s7.updated_at > 1700000000);
  CHECK(rows[1].symbol == "SYM8");
  CHECK_FALSE(rows[1].last_date);
}

TEST_CASE("mark_planned is all or nothing and validates symbols before any SQL",
          "[pg][manager_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t d = *parse_date("2024-01-01");
  CHECK_THROWS_AS(pg::mark_planned(c, {{"AAPL", "t", d, d}, {"bad'sym", "t", d, d}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(pg::mark_planned(c, {{"AAPL", "t", d, d}, {"AAPL", "u", d, d}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(pg::mark_planned(c, {{"AAPL", "t", d + 1, d}}), std::invalid_argument);
  CHECK(test::count(c, "SELECT count(*) FROM symbol_state") == 0);
  CHECK_THROWS_AS(pg::read_symbol_states(c, {"ok", "OK"}), std::invalid_argument);
}

TEST_CASE("an agent's start is recorded for the outstanding task only, and cleared by re-planning",
          "[pg][manager_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t jan1 = *parse_date("2024-01-01"), jan31 = *parse_date("2024-01-31");
  pg::mark_planned(c, {{"AAPL", "t1", jan1, jan31}});
  CHECK(pg::read_symbol_states(c, {"AAPL"}).at(0).started_at_ms == 0); // waiting in the topic
  CHECK_FALSE(pg::record_task_start(c, "AAPL", "t0")); // an older task: not outstanding
  CHECK(pg::read_symbol_states(c, {"AAPL"}).at(0).started_at_ms == 0);
  CHECK(pg::record_task_start(c, "AAPL", "t1"));
  const auto started = pg::read_symbol_states(c, {"AAPL"}).at(0).started_at_ms;
  CHECK(started > 1'700'000'000'000);
  pg::mark_planned(c, {{"AAPL", "t2", jan1, jan31}});
  CHECK(pg::read_symbol_states(c, {"AAPL"}).at(0).started_at_ms == 0);
  CHECK_FALSE(pg::record_task_start(c, "AAPL", "t1"));
  CHECK_THROWS_AS(pg::record_task_start(c, "no good", "t"), std::invalid_argument);
}
