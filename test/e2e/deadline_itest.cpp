// End-to-end test of task deadlines: counted from the moment an agent starts a task, never from
// planning, so tasks waiting in the topic stay in flight while a started task whose bars are lost
// is planned again.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <thread>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("deadline: tasks waiting in the topic are not planned again, started tasks whose bars "
          "are lost are, once past their deadline, and complete",
          "[e2e][deadline]") {
  test_database db{"e2e_deadline"};
  kafka_names k{"deadline"};
  scratch_area area{"deadline"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(4);
  const std::string from = "2019-01-01", to = "2020-12-31";
  process manager{run_args("manager=1,agent=0,processor=0", db, k, symbols, from, to,
                           {"--manager-poll-ms", "200", "--task-deadline-ms", "4000"}),
                  dir + "/manager.log"};
  auto port = manager.metrics_port();
  REQUIRE(port);
  INFO(manager.log());
  REQUIRE(wait_until(
      [&] {
        return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'planned'") == 4;
      },
      60s));
  // No agent: the tasks wait in the topic for longer than the deadline (by the database's clock,
  // from their planning, while the manager ticks every 200 ms) and stay in flight.
  REQUIRE(wait_until(
      [&] {
        return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'planned' AND "
                         "now() - updated_at > interval '5 seconds'") == 4;
      },
      30s));
  CHECK(metric(*port, "finstream_tasks_expired_total") == 0);
  CHECK(metric(*port, "finstream_tasks_planned_total") == 4);
  CHECK(db.scalar("SELECT count(*) FROM symbol_state WHERE started_at IS NOT NULL") == 0);
  // An agent starts every task, but publishes the bars to a topic no processor reads: lost.
  auto lost_args = run_args("manager=0,agent=1,processor=0", db, k, symbols, from, to,
                            {"--log-level", "debug"});
  auto data = std::find(lost_args.begin(), lost_args.end(), "--data-topic");
  REQUIRE(data != lost_args.end());
  *(data + 1) = k.data_topic + "_lost";
  {
    process lost{lost_args, dir + "/lost.log"};
    REQUIRE(wait_until(
        [&] {
          auto log = lost.log();
          std::size_t n = 0;
          for (auto p = log.find("event=fetched"); p != std::string::npos;
               p = log.find("event=fetched", p + 1))
            ++n;
          return n == 4;
        },
        60s));
    CHECK(db.scalar("SELECT count(*) FROM symbol_state WHERE started_at IS NOT NULL") == 4);
    lost.signal(SIGTERM); // a task's offset is committed before the next fetch starts
    REQUIRE(lost.wait(15s));
  }
  // Past the deadline the manager plans them again; a working agent and processor complete them.
  process work{run_args("manager=0,agent=1,processor=1", db, k, symbols, from, to),
               dir + "/work.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 4; }, 90s));
  // The four lost ones at least (a redone task slower than the deadline on a loaded machine
  // expires again), and the counter says exactly what the log says.
  const auto expired = metric(*port, "finstream_tasks_expired_total");
  CHECK(expired >= 4);
  CHECK(expired == static_cast<long long>(count(manager.log(), "event=task_deadline_passed")));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
