// End-to-end stalls and restarts under load: PostgreSQL frozen 20 s then crashed (immediate stop)
// and started again, and the broker frozen 20 s (longer than the Kafka session timeout) then down
// for 10 s, each while two `run` replicas backfill. Each test stops and starts its OWN
// PostgreSQL and broker (test/services/*.sh into its scratch directory), never the shared ones.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>

#include "harness.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// A PostgreSQL cluster and a broker of this test alone, started into `dir`. While it lives,
/// FINSTREAM_TEST_PG / FINSTREAM_TEST_KAFKA name them (test databases and topics go there).
class private_services {
public:
  explicit private_services(std::string dir)
      : dir_(std::move(dir)) {
    try {
      script("pg.sh start");
      script("kafka.sh start");
    } catch (...) {
      stop(); // what did start must not outlive the test
      throw;
    }
    set("FINSTREAM_TEST_PG", value_of(dir_ + "/pg.env", "FINSTREAM_TEST_PG"), saved_pg_);
    set("FINSTREAM_TEST_KAFKA", value_of(dir_ + "/kafka.env", "FINSTREAM_TEST_KAFKA"),
        saved_kafka_);
  }
  ~private_services() {
    restore("FINSTREAM_TEST_PG", saved_pg_);
    restore("FINSTREAM_TEST_KAFKA", saved_kafka_);
    stop();
  }
  private_services(const private_services&) = delete;
  private_services& operator=(const private_services&) = delete;

  /// Immediate stop (a crash: recovery on start), `down_s` seconds down, start on the same port.
  void pg_crash_restart(int down_s) { script("pg.sh crash-restart", true, down_s); }
  /// Broker stopped, `down_s` seconds down, started on the same port and data.
  void kafka_bounce(int down_s) { script("kafka.sh bounce", true, down_s); }
  /// A network stall's nearest substitute here (the kernel has no sch_netem for tc): the server's
  /// processes frozen (SIGSTOP) for `seconds`, then thawed. Connections stay open and silent.
  void pg_stall(int seconds) {
    stall("P=$(head -n 1 \"$(cat " + dir_ +
              "/pg/tmpdir)/data/postmaster.pid\"); P=\"$P $(pgrep -P $P)\"",
          seconds);
  }
  void kafka_stall(int seconds) { stall("P=$(cat " + dir_ + "/kafka/pid)", seconds); }

private:
  void stall(const std::string& pids, int seconds) {
    auto cmd = pids + "; kill -STOP $P && sleep " + std::to_string(seconds) + "; kill -CONT $P";
    int rc = std::system(("bash -c '" + cmd + "' >> " + dir_ + "/services.log 2>&1").c_str());
    if (rc != 0) FAIL("stall failed (" << rc << "): " << cmd);
  }
  void stop() {
    script("kafka.sh stop", false);
    script("pg.sh stop", false);
  }
  void script(const std::string& verb, bool must = true, int arg = -1) {
    auto cmd = "bash " + test::source_dir() + "/test/services/" + verb + " " + dir_ +
               (arg >= 0 ? " " + std::to_string(arg) : "") + " >> " + dir_ + "/services.log 2>&1";
    int rc = std::system(cmd.c_str());
    if (must && rc != 0) FAIL(cmd << " failed (" << rc << "), see " << dir_ << "/services.log");
  }
  static std::string value_of(const std::string& env_file, const std::string& name) {
    std::ifstream in{env_file};
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
    FAIL("no " << name << " in " << env_file);
    return {};
  }
  static void set(const char* name, const std::string& value, std::optional<std::string>& saved) {
    if (const char* v = std::getenv(name)) saved = v;
    ::setenv(name, value.c_str(), 1);
  }
  static void restore(const char* name, const std::optional<std::string>& saved) {
    if (saved)
      ::setenv(name, saved->c_str(), 1);
    else
      ::unsetenv(name);
  }

  std::string dir_;
  std::optional<std::string> saved_pg_, saved_kafka_;
};

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
