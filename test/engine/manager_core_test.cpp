// Tests of the manager's logic over an in-memory store: leadership terms, completion, idleness.
#include <catch2/catch.hpp>

#include "engine/manager_core.hpp"

#include "support/memory_stores.hpp"
#include <date/date.h>

using namespace finstream;
using namespace finstream::engine;

namespace {

day_t d(const char* s) {
  return *parse_date(s);
}

manager_options opts() {
  manager_options o;
  o.from = d("2020-01-01");
  o.to = d("2020-12-31");
  return o;
}

task_outcome ok(const fetch_task& t) {
  return {t.symbol, t.task_id, t.from, t.to, true, false, {}};
}

} // namespace

TEST_CASE("the manager plans each symbol once, waits for completion, then is idle") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL", "MSFT"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 2);
  CHECK(store.rows.at("AAPL").status == "planned");
  CHECK(m.progress().in_flight == 2);
  CHECK_FALSE(m.progress().idle);
  CHECK(m.tick(now).empty()); // in flight: not planned twice
  store.complete(ok(tasks[0]));
  CHECK(m.tick(now).empty());
  CHECK(m.progress().done == 1);
  CHECK_FALSE(m.progress().idle);
  store.complete(ok(tasks[1]));
  CHECK(m.tick(now).empty());
  CHECK(m.progress().done == 2);
  CHECK(m.progress().idle);
  // A new symbol in the universe is planned on the next tick.
  universe.push_back("NVDA");
  auto more = m.tick(now);
  REQUIRE(more.size() == 1);
  CHECK(more[0].symbol == "NVDA");
}

TEST_CASE("a non-leader plans nothing, a new leader re-plans what the old one left planned") {
  test::memory_plan_store store;
  manager_core first{store, [] { return std::vector<std::string>{"AAPL"}; }, opts()};
  auto now = std::chrono::system_clock::now();
  REQUIRE(first.tick(now).size() == 1);
  // The first manager dies before the task completes; a second one becomes leader.
  manager_core second{store, [] { return std::vector<std::string>{"AAPL"}; }, opts()};
  store.lead = false;
  CHECK(second.tick(now).empty());
  CHECK_FALSE(second.progress().leader);
  store.lead = true;
  auto again = second.tick(now);
  REQUIRE(again.size() == 1);
  CHECK(again[0].symbol == "AAPL");
  CHECK(second.progress().leader);
}

TEST_CASE("a backfill request plans its range even for complete symbols") {
  test::memory_plan_store store;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL", "MSFT"}; }, opts()};
  auto now = std::chrono::system_clock::now();
  for (auto& t : m.tick(now))
    store.complete(ok(t));
  CHECK(m.tick(now).empty());
  store.backfills.push_back({7, {"MSFT"}, d("2019-01-01"), d("2019-12-31")});
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].symbol == "MSFT");
  CHECK(tasks[0].from == d("2019-01-01"));
  CHECK(tasks[0].to == d("2019-12-31"));
}

TEST_CASE("failed tasks count as finished and are retried after backoff") {
  test::memory_plan_store store;
  auto o = opts();
  o.planning.retry_base_ms = 1000;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, o};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 1);
  store.now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  store.complete({"AAPL", tasks[0].task_id, tasks[0].from, tasks[0].to, false, false, "throttled"});
  CHECK(m.tick(now).empty());
  CHECK(m.progress().failed == 1);
  CHECK(m.tick(now + std::chrono::milliseconds{1000}).size() == 1);
}

TEST_CASE("without --to the target is the last closed day, advanced at the daily run") {
  test::memory_plan_store store;
  manager_options o;
  o.from = d("2024-03-01");
  o.timezone = "America/New_York";
  o.schedule_minutes = 17 * 60 + 30;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, o};
  // Wednesday 2024-03-13 15:00 EDT: Wednesday's session is open, the target is Tuesday.
  auto wed_afternoon = date::sys_days{date::year{2024} / 3 / 13} + std::chrono::hours{19};
  auto tasks = m.tick(wed_afternoon);
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].to == d("2024-03-12"));
  store.complete(ok(tasks[0]));
  // Later the same day, before the 17:30 run: nothing new.
  CHECK(m.tick(wed_afternoon + std::chrono::hours{2}).empty());
  // After the daily run (17:30 EDT = 21:30 UTC) the target is Wednesday.
  auto after_run =
      date::sys_days{date::year{2024} / 3 / 13} + std::chrono::hours{21} + std::chrono::minutes{31};
  auto next = m.tick(after_run);
  REQUIRE(next.size() == 1);
  CHECK(next[0].from == d("2024-03-06")); // 2024-03-13 and the five sessions before (revision)
  CHECK(next[0].to == d("2024-03-13"));
}
