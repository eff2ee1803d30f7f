// End-to-end test of tasks passed unstarted: when the agents' committed offset moves beyond a task
// message no agent started (an offset reset, a skipped or expired message), the manager plans the
// task again at once instead of leaving it in flight until the next leader.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "kafka/consumer.hpp"
#include "kafka/error.hpp"
#include "kafka/group_lag.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("passed tasks: tasks whose messages the agents' group skipped are planned again and "
          "complete",
          "[e2e][deadline]") {
  test_database db{"e2e_passed"};
  kafka_names k{"passed"};
  scratch_area area{"passed"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(6);
  const std::string from = "2019-01-01", to = "2020-12-31";
  process manager{run_args("manager=1,agent=0,processor=0", db, k, symbols, from, to,
                           {"--manager-poll-ms", "200"}),
                  dir + "/manager.log"};
  auto port = manager.metrics_port();
  REQUIRE(port);
  INFO(manager.log());
  REQUIRE(wait_until(
      [&] { return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'planned'") == 6; },
      60s));
  // The agents' group skips everything published so far, as `kafka-consumer-groups
  // --reset-offsets --to-latest` would: no agent will ever start these tasks.
  kafka::config kc;
  kc.bootstrap_servers = test::kafka_bootstrap();
  // symbol_state says planned before the tasks are produced: wait until all six are in the topic.
  kafka::offset_map ends;
  REQUIRE(wait_until(
      [&] {
        ends.clear();
        std::int64_t messages = 0;
        try {
          for (const auto& row : kafka::group_lag(kc, k.agent_group, k.task_topic)) {
            ends[{k.task_topic, row.partition}] = row.high;
            messages += row.high;
          }
        } catch (const kafka::error&) {
          return false; // e.g. NOT_LEADER_FOR_PARTITION while the new topic's leaders settle
        }
        return messages == 6;
      },
      60s));
  {
    kafka::consumer skip{kc, k.agent_group};
    skip.commit_sync(ends);
    skip.close();
  }
  process work{run_args("manager=0,agent=1,processor=1", db, k, symbols, from, to),
               dir + "/work.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 6; }, 90s));
  CHECK(metric(*port, "finstream_tasks_passed_total") == 6);
  CHECK(metric(*port, "finstream_tasks_expired_total") == 0);
  CHECK(manager.log().find("event=task_passed_unstarted") != std::string::npos);
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
