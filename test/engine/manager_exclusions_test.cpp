// Tests of the manager honouring operator exclusions (`finstream symbols drop`) over the universe
// and backfill requests, and of the universe summary it exports as gauges.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/manager_core.hpp"

#include "support/memory_stores.hpp"

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

std::vector<std::string> symbols_of(const std::vector<fetch_task>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks)
    out.push_back(t.symbol);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("an excluded symbol is neither planned nor backfilled nor counted, until undropped") {
  test::memory_plan_store store;
  store.exclusions = {"MSFT"};
  std::vector<std::string> universe{"AAPL", "MSFT", "NVDA"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  CHECK(symbols_of(tasks) == std::vector<std::string>{"AAPL", "NVDA"});
  CHECK(m.progress().symbols == 2);
  CHECK(m.summary().symbols == 2);
  CHECK(store.rows.count("MSFT") == 0);
  for (const auto& t : tasks)
    store.complete({t.symbol, t.task_id, t.from, t.to, true, false, {}});

  // A backfill naming it explicitly skips it too.
  store.backfills.push_back({1, {"MSFT", "AAPL"}, d("2019-01-01"), d("2019-12-31")});
  CHECK(symbols_of(m.tick(now)) == std::vector<std::string>{"AAPL"});

  store.exclusions.clear();
  auto back = m.tick(now);
  CHECK(symbols_of(back) == std::vector<std::string>{"MSFT"});
  CHECK(m.summary().symbols == 3);
}

TEST_CASE("a symbol dropped while its task is in flight is no longer waited for") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL", "MSFT"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  REQUIRE(tasks.size() == 2);
  const auto& aapl = tasks[0].symbol == "AAPL" ? tasks[0] : tasks[1];
  store.exclusions = {"MSFT"};
  store.complete({aapl.symbol, aapl.task_id, aapl.from, aapl.to, true, false, {}});
  CHECK(m.tick(now).empty());
  CHECK(m.progress().in_flight == 0);
  CHECK(m.progress().idle);
}

TEST_CASE("the manager's summary counts the universe by state and dates the target") {
  test::memory_plan_store store;
  std::vector<std::string> universe{"AAPL", "MSFT"};
  manager_core m{store, [&] { return universe; }, opts()};
  auto now = std::chrono::system_clock::now();
  auto tasks = m.tick(now);
  CHECK(m.target_set_at() == now);
  REQUIRE(tasks.size() == 2);
  m.tick(now);
  CHECK(m.summary().planned == 2);
  store.complete({tasks[0].symbol, tasks[0].task_id, tasks[0].from, tasks[0].to, true, false, {}});
  store.complete({tasks[1].symbol, tasks[1].task_id, tasks[1].from, tasks[1].to, false, true,
                  "not found"});
  m.tick(now + std::chrono::seconds{1});
  const auto& s = m.summary();
  CHECK(s.done == 1);
  CHECK(s.failed == 1);
  CHECK(s.failed_permanent == 1);
  CHECK(s.pending == 0);
  // The permanently failed symbol does not hold back completeness.
  REQUIRE(s.complete_through);
  CHECK(*s.complete_through == d("2020-12-31"));
  CHECK(m.target_set_at() == now); // fixed target: set once
}
