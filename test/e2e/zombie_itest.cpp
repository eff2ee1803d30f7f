// End-to-end: a zombie processor. A processor process that owns partitions is frozen (SIGSTOP)
// until the broker's session timeout moves its partitions to the other replica, then thawed
// (SIGCONT): its late commit must be fenced (nothing of it visible), it rejoins the group, and the
// backfill ends exact.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("zombie: a processor frozen past its session timeout is fenced on waking, rejoins, and "
          "the run ends exact",
          "[e2e][zombie]") {
  test_database db{"e2e_zombie"};
  kafka_names k{"zombie"};
  scratch_area area{"zombie"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(60);
  const std::string from = "2005-01-01", to = "2020-12-31"; // ~250,000 bars
  process feeder{run_args("manager=1,agent=2,processor=0", db, k, symbols, from, to),
                 dir + "/feeder.log"};
  process zombie{run_args("manager=0,agent=0,processor=1", db, k, symbols, from, to),
                 dir + "/zombie.log"};
  process other{run_args("manager=0,agent=0,processor=1", db, k, symbols, from, to),
                dir + "/other.log"};
  auto zombie_port = zombie.metrics_port();
  REQUIRE(zombie_port);
  // Both members hold partitions and work is flowing through the zombie.
  REQUIRE(wait_until(
      [&] {
        return count(zombie.log(), "event=partitions_assigned") > 0 &&
               count(other.log(), "event=partitions_assigned") > 0 &&
               metric(*zombie_port, "finstream_pg_batches_total\\{result=\"committed\"\\}") >= 3;
      },
      180s));
  REQUIRE(done_symbols(db) < 60);

  zombie.signal(SIGSTOP);
  auto other_assigned = count(other.log(), "event=partitions_assigned");
  // The session timeout (10 s) expires, the group rebalances and the other member claims the
  // zombie's partitions (claiming bumps their epochs in PostgreSQL). When the zombie froze inside
  // a sink transaction, the claim waits for the server to end that transaction (the sink's
  // idle_in_transaction_session_timeout, 20 s): before that limit, it waited forever.
  REQUIRE(wait_until(
      [&] { return count(other.log(), "event=partitions_assigned") > other_assigned; }, 120s));
  std::this_thread::sleep_for(2s);
  auto rows_before_wake = db.scalar("SELECT count(*) FROM technical_indicators");
  zombie.signal(SIGCONT);

  // On waking, the zombie's commit of what it held carries an old epoch: fenced, rolled back.
  REQUIRE(wait_until(
      [&] {
        return metric(*zombie_port, "finstream_pg_batches_total\\{result=\"fenced\"\\}") >= 1;
      },
      60s));
  // It starts a fresh session and gets partitions again.
  REQUIRE(wait_until(
      [&] {
        auto log = zombie.log();
        auto failed = log.find("event=processor_session_failed");
        return failed != std::string::npos &&
               log.find("event=partitions_assigned", failed) != std::string::npos;
      },
      90s));
  // The failed session is counted, not only logged.
  CHECK(metric(*zombie_port, "finstream_processor_session_failures_total") >= 1);
  INFO("rows before wake-up " << rows_before_wake);
  REQUIRE(wait_until([&] { return done_symbols(db) == 60; }, 300s));
  CHECK(zombie.running());
  CHECK(other.running());
  // Exact: same keys, bit-identical values; the fenced batch left no row or position behind.
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
