// End-to-end stalls and restarts under load: PostgreSQL frozen 20 s then crashed (immediate stop)
// and started again, and the broker frozen 20 s (longer than the Kafka session timeout) then down
// for 10 s, each while two `run` replicas backfill. Each test stops and starts its OWN
// PostgreSQL and broker (test/services/*.sh into its scratch directory), never the shared ones.
#include <catch2/catch.hpp>

#include <functional>

#include "harness.hpp"
#include "private_services.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// Two replicas with every role backfill `symbols`; `fault` runs once part of the rows are
/// stored (it is given a check that symbols are still to do, to assert that its later faults also
/// fall inside the backfill); then both replicas must finish every symbol, stay up, and the table
/// be exact.
using work_left_fn = std::function<bool()>;
void backfill_through(const std::string& name,
                      const std::function<void(private_services&, const work_left_fn&)>& fault) {
  scratch_area area{name};
  auto dir = area.path();
  private_services services{dir};
  test_database db{"e2e_" + name};
  kafka_names k{name};
  // Large enough that the processors' pre-fetched records (librdkafka's queue) cannot hold the
  // rest of the backfill when the fault starts, even on an idle machine.
  auto symbols = synthetic_symbols(120);
  const std::string from = "2000-01-01", to = "2020-12-31"; // ~660,000 bars
  const std::string roles = "manager=1,agent=1,processor=1";
  process a{run_args(roles, db, k, symbols, from, to), dir + "/replica_a.log"};
  process b{run_args(roles, db, k, symbols, from, to), dir + "/replica_b.log"};
  REQUIRE(wait_until([&] { return db.scalar("SELECT count(*) FROM technical_indicators") > 10000; },
                     240s));
  REQUIRE(done_symbols(db) < 120);
  fault(services, [&] { return done_symbols(db) < 120; });
  REQUIRE(wait_until([&] { return done_symbols(db) == 120; }, 480s));
  CHECK(a.running());
  CHECK(b.running());
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

} // namespace

TEST_CASE("restart: PostgreSQL stalled 20 s, then crashed and restarted, while two replicas "
          "backfill, and the run ends exact",
          "[e2e][restart]") {
  backfill_through("restart_pg", [](private_services& s, const work_left_fn& work_left) {
    // Frozen first: nothing progresses meanwhile, so the crash right after still hits the
    // backfill.
    s.pg_stall(20);
    CHECK(work_left());
    s.pg_crash_restart(5);
  });
}

TEST_CASE("restart: the broker stalled 20 s (past the session timeout), then down for 10 s, while "
          "two replicas backfill, and the run ends exact",
          "[e2e][restart]") {
  backfill_through("restart_kafka", [](private_services& s, const work_left_fn& work_left) {
    s.kafka_stall(20);
    CHECK(work_left());
    s.kafka_bounce(10);
  });
}
