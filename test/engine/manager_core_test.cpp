// Tests of the manager's logic over an in-memory store: leadership terms, completion, idleness.
#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>

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
  // Each task carries its planning time (its generation, in ms).
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  CHECK(tasks[0].generation == now_ms);
  CHECK(tasks[1].generation == now_ms);
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

TEST_CASE("a leader deposed before it records its tasks writes nothing, stops leading, and a "
          "later term plans them") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  REQUIRE(m.tick(now).size() == 1);
  const auto aapl = store.rows.at("AAPL");
  // Another replica takes over between this one's lock check and its write.
  universe.push_back("MSFT");
  store.deposed = true;
  CHECK(m.tick(now).empty());
  CHECK_FALSE(m.progress().leader);
  CHECK(m.progress().fenced == 1);
  CHECK(m.progress().in_flight == 0);
  CHECK_FALSE(store.lead); // resigned: the lock is given up
  CHECK(store.rows.count("MSFT") == 0);
  CHECK(store.rows.at("AAPL").task_id == aapl.task_id); // untouched
  // Leading again later (a new term): everything left planned is planned again, MSFT too.
  store.deposed = false;
  store.lead = true;
  auto again = m.tick(now);
  CHECK(again.size() == 2);
  CHECK(m.progress().leader);
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
  // Before the stored range: through its last date (see the next test).
  CHECK(tasks[0].to == d("2020-12-31"));
}

TEST_CASE("a backfill range apart from the stored one is planned up to it, never leaving a hole") {
  // symbol_state's covered range [first_date, last_date] would span a hole the task never asked.
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL", "MSFT"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  for (auto& t : m.tick(now))
    store.complete(ok(t)); // both cover [2020-01-01, 2020-12-31]
  // Before: 2010-2012 runs through the stored last date (a source reports a range as of its end:
  // bars fetched as of 2012 would miss a later split that the stored rows reflect).
  store.backfills.push_back({1, {"AAPL"}, d("2010-01-01"), d("2012-12-31")});
  auto before = m.tick(now);
  REQUIRE(before.size() == 1);
  CHECK(before[0].from == d("2010-01-01"));
  CHECK(before[0].to == d("2020-12-31"));
  store.complete(ok(before[0]));
  CHECK(store.rows.at("AAPL").first_date == d("2010-01-01"));
  // After: 2023 starts on the day after the stored last date.
  store.backfills.push_back({2, {"MSFT"}, d("2023-01-01"), d("2023-06-30")});
  auto after = m.tick(now);
  REQUIRE(after.size() == 1);
  CHECK(after[0].from == d("2021-01-01"));
  CHECK(after[0].to == d("2023-06-30"));
  // Ranges inside the stored one and symbols never stored are planned as asked.
  store.backfills.push_back({3, {"AAPL", "NEW"}, d("2011-06-01"), d("2015-12-31")});
  auto asked = m.tick(now);
  REQUIRE(asked.size() == 2);
  for (const auto& t : asked) {
    CHECK(t.from == d("2011-06-01"));
    CHECK(t.to == d("2015-12-31"));
  }
  // A symbol outside the universe with a stored range: its state is read for the request.
  store.rows["OLD"].symbol = "OLD";
  store.rows["OLD"].status = "done";
  store.rows["OLD"].first_date = d("2018-01-01");
  store.rows["OLD"].last_date = d("2018-12-31");
  store.backfills.push_back({4, {"OLD"}, d("2015-01-01"), d("2015-12-31")});
  auto outside = m.tick(now);
  REQUIRE(outside.size() == 1);
  CHECK(outside[0].to == d("2018-12-31"));
}

TEST_CASE("a backfill for a symbol in flight stays pending until the symbol is free") {
  test::memory_plan_store store;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL", "MSFT"}; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto daily = m.tick(now);
  REQUIRE(daily.size() == 2);
  store.backfills.push_back({7, {"MSFT"}, d("2019-01-01"), d("2019-12-31")});
  CHECK(m.tick(now).empty()); // MSFT's daily task is in flight
  REQUIRE(store.backfills.size() == 1);
  CHECK(store.backfills[0].symbols == std::vector<std::string>{"MSFT"});
  CHECK_FALSE(m.progress().idle);
  for (auto& t : daily)
    store.complete(ok(t));
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].symbol == "MSFT");
  CHECK(tasks[0].from == d("2019-01-01"));
  CHECK(tasks[0].to == d("2020-12-31")); // through the stored range (no hole, splits as of it)
  CHECK(store.backfills.empty()); // settled with its task
  CHECK(store.rows.at("MSFT").planned_from == d("2019-01-01"));
}

TEST_CASE("a backfill of the universe plans the free symbols and keeps the busy ones pending") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto first = m.tick(now);
  REQUIRE(first.size() == 1);
  store.complete(ok(first[0]));
  REQUIRE(m.tick(now).empty());
  universe.push_back("MSFT"); // planned in the same pass as the request: MSFT is busy
  store.backfills.push_back({8, {}, d("2019-01-01"), d("2019-12-31")});
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 2);
  for (const auto& t : tasks)
    CHECK((t.symbol == "AAPL" ? t.from == d("2019-01-01") : t.from == d("2020-01-01")));
  REQUIRE(store.backfills.size() == 1);
  CHECK(store.backfills[0].symbols == std::vector<std::string>{"MSFT"});
  for (auto& t : tasks)
    store.complete(ok(t));
  auto rest = m.tick(now);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].symbol == "MSFT");
  CHECK(rest[0].from == d("2019-01-01"));
  CHECK(store.backfills.empty());
}

TEST_CASE("a symbol left planned by an earlier leader is planned again over its recorded range") {
  test::memory_plan_store store;
  // The earlier leader planned a backfill [2018, 2020] of a complete symbol and died before
  // dispatching it.
  auto& st = store.rows["AAPL"];
  st.symbol = "AAPL";
  st.first_date = d("2020-01-01");
  st.last_date = d("2020-12-31");
  st.status = "planned";
  st.task_id = "AAPL:2018-01-01:2020-12-31:b3";
  st.planned_from = d("2018-01-01");
  st.planned_to = d("2020-12-31");
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, opts()};
  auto tasks = m.tick(std::chrono::system_clock::now());
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].from == d("2018-01-01"));
  CHECK(tasks[0].to == d("2020-12-31"));
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

TEST_CASE("throttled failures delay a symbol without using up its retry budget") {
  test::memory_plan_store store;
  auto o = opts();
  o.planning.retry_base_ms = 1000;
  o.planning.max_attempts = 2;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, o};
  auto now = std::chrono::system_clock::now();
  auto at = [&](std::chrono::system_clock::time_point t) {
    store.now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  at(now);
  auto tasks = m.tick(now);
  for (int i = 0; i < 10; ++i) { // far more throttled failures than max_attempts
    REQUIRE(tasks.size() == 1);
    store.complete(
        {"AAPL", tasks[0].task_id, tasks[0].from, tasks[0].to, false, false, "HTTP 429", true});
    CHECK(m.tick(now).empty()); // delayed
    now += std::chrono::milliseconds{1000};
    at(now);
    tasks = m.tick(now);
  }
  REQUIRE(tasks.size() == 1);
  CHECK(store.rows.at("AAPL").attempts == 0);
  // Other failures do count: after max_attempts the range is given up.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(tasks.size() == 1);
    store.complete({"AAPL", tasks[0].task_id, tasks[0].from, tasks[0].to, false, false, "500"});
    now += std::chrono::milliseconds{10'000};
    at(now);
    tasks = m.tick(now);
  }
  CHECK(tasks.empty());
}

TEST_CASE("a task started longer ago than its deadline is planned again, waiting is not started") {
  test::memory_plan_store store;
  auto o = opts();
  o.task_deadline_ms = 60'000;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL", "MSFT"}; }, o};
  auto now = std::chrono::system_clock::now();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  REQUIRE(m.tick(now).size() == 2);
  // An agent started AAPL; MSFT still waits in the topic.
  store.rows.at("AAPL").started_at_ms = now_ms;
  CHECK(m.tick(now + std::chrono::seconds{59}).empty());
  CHECK(m.progress().expired == 0);
  auto again = m.tick(now + std::chrono::seconds{61});
  REQUIRE(again.size() == 1);
  CHECK(again[0].symbol == "AAPL");
  CHECK(again[0].from == d("2020-01-01"));
  CHECK(m.progress().expired == 1);
  CHECK(m.progress().in_flight == 2);
  // MSFT was never started: however long it waits, it stays in flight.
  CHECK(m.tick(now + std::chrono::hours{24}).empty());
  CHECK(m.progress().expired == 1);
}

TEST_CASE("a dispatched task the agents passed without starting it is planned again at once") {
  test::memory_plan_store store;
  auto o = opts();
  o.passed_check_ms = 1'000;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL", "MSFT", "NVDA"}; }, o};
  // The agents' committed offsets; the read is logged against the store's loads to check order.
  std::map<std::int32_t, std::int64_t> committed;
  int reads = 0;
  m.watch_task_queue([&] {
    ++reads;
    return committed;
  });
  auto now = std::chrono::system_clock::now();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 3);
  std::map<std::string, std::string> task_of;
  for (const auto& t : tasks)
    task_of[t.symbol] = t.task_id;
  // Nothing dispatched yet: nothing to watch.
  m.tick(now + std::chrono::seconds{2});
  CHECK(reads == 0);
  // AAPL and MSFT at offsets 10 and 11 of partition 0, NVDA at 4 of partition 1.
  m.dispatched({{task_of["AAPL"], 0, 10}, {task_of["MSFT"], 0, 11}, {task_of["NVDA"], 1, 4}});
  // The agents committed up to AAPL (offset 10 not yet done): nobody passed anything.
  committed = {{0, 10}};
  CHECK(m.tick(now + std::chrono::seconds{4}).empty());
  CHECK(reads == 1);
  // Read at most every passed_check_ms.
  committed = {{0, 12}, {1, 4}};
  CHECK(m.tick(now + std::chrono::milliseconds{4'500}).empty());
  CHECK(reads == 1);
  // Past AAPL and MSFT on partition 0: AAPL was started (its start recorded) and is only slow;
  // MSFT never was, so it is planned again; NVDA on partition 1 still waits (committed 4 = its
  // own offset, not beyond it).
  store.rows.at("AAPL").started_at_ms = now_ms + 4'000;
  auto again = m.tick(now + std::chrono::seconds{6});
  CHECK(reads == 2);
  REQUIRE(again.size() == 1);
  CHECK(again[0].symbol == "MSFT");
  CHECK(again[0].task_id != task_of["MSFT"]);
  CHECK(m.progress().passed == 1);
  CHECK(m.progress().expired == 0);
  CHECK(m.progress().in_flight == 3);
  // The new MSFT task has no position yet: a further read passes nothing again.
  CHECK(m.tick(now + std::chrono::seconds{8}).empty());
  CHECK(m.progress().passed == 1);
  // A failing read is logged and changes nothing.
  m.watch_task_queue(
      [&]() -> std::map<std::int32_t, std::int64_t> { throw std::runtime_error("broker down"); });
  CHECK(m.tick(now + std::chrono::seconds{10}).empty());
  CHECK(m.progress().passed == 1);
}

TEST_CASE("passed tasks are read from offsets taken before the task states") {
  // A task started and committed between the two reads must not look passed: the offsets are
  // read first, so a commit seen there implies a start visible in the state read after it.
  test::memory_plan_store store;
  auto o = opts();
  o.passed_check_ms = 0;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, o};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 1);
  m.dispatched({{tasks[0].task_id, 0, 7}});
  int reads = 0;
  m.watch_task_queue([&] {
    // An agent started the task (its start recorded) and committed past it just before this
    // read: the commit is visible here, the start only to a state read made after this one.
    ++reads;
    store.rows.at("AAPL").started_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    return std::map<std::int32_t, std::int64_t>{{0, 8}};
  });
  CHECK(m.tick(now + std::chrono::seconds{1}).empty());
  CHECK(reads == 1);
  CHECK(m.progress().passed == 0);
  CHECK(m.progress().in_flight == 1);
}

TEST_CASE("the manager is not idle while a failed symbol waits for its retry") {
  test::memory_plan_store store;
  auto o = opts();
  o.planning.retry_base_ms = 1000;
  manager_core m{store, [] { return std::vector<std::string>{"AAPL"}; }, o};
  auto now = std::chrono::system_clock::now();
  store.now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 1);
  store.complete({"AAPL", tasks[0].task_id, tasks[0].from, tasks[0].to, false, false, "429", true});
  CHECK(m.tick(now).empty());
  CHECK_FALSE(m.progress().idle);
  // A permanent failure is final: idle.
  tasks = m.tick(now + std::chrono::seconds{1});
  REQUIRE(tasks.size() == 1);
  store.complete({"AAPL", tasks[0].task_id, tasks[0].from, tasks[0].to, false, true, "404"});
  CHECK(m.tick(now + std::chrono::seconds{2}).empty());
  CHECK(m.progress().idle);
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

TEST_CASE("with a simulated calendar the daily target follows simulated days") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL"};
  auto o = opts();
  o.to.reset();
  // A simulated day per real second from 2020-01-06 (a Monday) 00:00 UTC at the real instant t0.
  const auto t0 = std::chrono::system_clock::now();
  const std::chrono::system_clock::time_point monday{
      std::chrono::seconds{day_start_epoch(d("2020-01-06"))}};
  o.calendar_now = [t0, monday](std::chrono::system_clock::time_point real) {
    return monday + (real - t0) * 86400;
  };
  manager_core m{store, [&] { return universe; }, o};
  auto tasks = m.tick(t0);
  REQUIRE(tasks.size() == 1);
  CHECK(m.progress().target_to == d("2020-01-03")); // Monday 00:00: Friday is the last closed day
  store.complete(ok(tasks[0]));
  // Four real seconds later it is Friday 00:00 simulated: Thursday closed, a daily task plans it.
  auto later = m.tick(t0 + std::chrono::seconds{4});
  CHECK(m.progress().target_to == d("2020-01-09"));
  REQUIRE(later.size() == 1);
  CHECK(later[0].to == d("2020-01-09"));
}
