// End-to-end network faults: one `run` replica in a network namespace of its own (veth pair to
// the host), the other on the host, backfill against a private PostgreSQL and broker listening on
// the host's veth address. The namespace's traffic to the broker is dropped (iptables, host INPUT)
// past the session timeout, then to PostgreSQL past the client's TCP and statement timeouts; each
// is restored, and the run must end exact with both replicas alive and stopping cleanly.
// (tc netem would add delay/loss, but this kernel has no sch_netem module: a DROP is the fault.)
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "network_namespace.hpp"
#include "private_services.hpp"
#include "scenario.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

int port_of(const std::string& host_port) {
  return std::stoi(host_port.substr(host_port.rfind(':') + 1));
}

/// Sum of every series of `name` on the /metrics of a process inside `ns` (its metrics endpoint
/// listens on the namespace's loopback); -1 when the scrape failed.
long long ns_metric(const network_namespace& ns, int port, const std::string& name) {
  std::string body;
  int rc = test::run_command(
      "ip netns exec " + ns.name() +
          " python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("
          "\"http://127.0.0.1:" +
          std::to_string(port) + "/metrics\", timeout=10).read().decode())'",
      &body);
  if (rc != 0) return -1;
  std::regex re{"(^|\n)" + name + "(\\{[^}]*\\})? ([0-9.e+]+)"};
  long long sum = 0;
  for (std::sregex_iterator it{body.begin(), body.end(), re}, end; it != end; ++it)
    sum += static_cast<long long>(std::stod((*it)[3]));
  return sum;
}

} // namespace

TEST_CASE("network: a replica in its own network namespace cut off from the broker past the "
          "session timeout, then from PostgreSQL past the connection timeouts, while two replicas "
          "backfill, and the run ends exact",
          "[e2e][network]") {
  network_namespace ns; // first made, last removed: the services listen on its host end
  scratch_area area{"netfault"};
  auto dir = area.path();
  private_services services{dir, ns.host_address()};
  test_database db{"e2e_netfault"};
  kafka_names k{"netfault"};
  const int kafka_port = port_of(services.kafka());
  const int pg_port = port_of(services.pg().substr(0, services.pg().rfind('/')));

  // The backfill runs in steps, each a history extension the test asks for (`finstream
  // backfill` to an earlier date: every stored row of every symbol is recomputed), so there is
  // work for the namespace's replica at each cut and after each restore however fast the
  // machine is.
  auto symbols = synthetic_symbols(120);
  const std::vector<std::string> froms{"2012-01-01", "2009-01-01", "2006-01-01", "2003-01-01"};
  const std::string to = "2020-12-31";
  const std::string roles = "manager=1,agent=1,processor=1";
  // Short client timeouts (the broker's least session timeout is 6 s) keep the cuts short; each
  // cut below outlasts the timeouts it targets.
  const std::vector<std::string> timeouts{"--session-timeout-ms", "6000",
                                          "--pg-tcp-user-timeout-ms", "3000",
                                          "--pg-statement-timeout-ms", "4000"};
  process host{run_args(roles, db, k, symbols, froms[0], to, timeouts),
               dir + "/replica_host.log"};
  auto [ip, ns_args] =
      ns.exec(test::binary(), run_args(roles, db, k, symbols, froms[0], to, timeouts));
  process inside{ns_args, dir + "/replica_ns.log", {}, ip};
  auto ns_port = inside.metrics_port(60s);
  REQUIRE(ns_port);
  auto ns_rows = [&] { return ns_metric(ns, *ns_port, "finstream_pg_rows_written_total"); };

  // What happened, reported at the end (Catch prints warnings on success too).
  const auto t0 = std::chrono::steady_clock::now();
  std::ostringstream story;
  auto note = [&](const std::string& what) {
    story << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0)
                 .count()
          << " s: " << what << " (" << db.scalar("SELECT count(*) FROM technical_indicators")
          << " rows stored, " << done_symbols(db) << " symbols done)\n";
  };
  // Asks for the next history extension; true once the manager has planned it and the
  // namespace's replica has written rows since `rows_before` (it holds partitions: it takes part).
  std::size_t step = 0;
  auto extend_history = [&](long long rows_before) {
    REQUIRE(++step < froms.size());
    auto [code, out] = run_to_end({"backfill", "--pg", db.dsn(), "--symbols", join(symbols),
                                   "--from", froms[step], "--to", to},
                                  dir + "/backfill_" + std::to_string(step) + ".log");
    REQUIRE(code == 0);
    note("history extended to " + froms[step]);
    return wait_until(
        [&] {
          return db.scalar("SELECT count(*) FROM backfill_requests WHERE taken_at IS NULL") == 0 &&
                 ns_rows() > rows_before;
        },
        240s);
  };

  // Both replicas are processor group members and the namespace's replica stores rows.
  REQUIRE(wait_until([&] { return group_members(k.processor_group) == 2; }, 120s));
  REQUIRE(wait_until([&] { return ns_rows() > 0; }, 240s));
  REQUIRE(done_symbols(db) < 120); // the cut falls inside the backfill

  // Broker cut: the namespace's replica falls silent, its session times out and the host's
  // replica takes its partitions (the group shrinks to one member).
  note("broker cut");
  ns.drop(kafka_port);
  REQUIRE(wait_until([&] { return group_members(k.processor_group) == 1; }, 90s));
  note("the namespace's replica left the processor group");
  std::this_thread::sleep_for(3s);
  ns.restore(kafka_port);
  note("broker restored");
  // It rejoins and takes part in the next step.
  REQUIRE(wait_until([&] { return group_members(k.processor_group) == 2; }, 180s));
  note("the namespace's replica rejoined");
  REQUIRE(extend_history(ns_rows()));
  note("the namespace's replica stores rows again");

  // PostgreSQL cut while it writes the next step: longer than the TCP user timeout (3 s) and the
  // statement timeout + 5 s (9 s). Its partitions stay its own meanwhile (its Kafka session lives
  // on), so their work waits for it.
  REQUIRE(extend_history(ns_rows()));
  ns.drop(pg_port);
  note("PostgreSQL cut");
  CHECK(done_symbols(db) < 120); // the cut falls inside the backfill
  std::this_thread::sleep_for(15s);
  ns.restore(pg_port);
  note("PostgreSQL restored");
  REQUIRE(extend_history(ns_rows()));
  note("the namespace's replica stores rows again");

  REQUIRE(wait_until([&] { return done_symbols(db) == 120; }, 480s));
  note("every symbol done");
  CHECK(host.running());
  CHECK(inside.running());
  story << "namespace replica: " << ns_metric(ns, *ns_port, "finstream_pg_retries_total")
        << " PostgreSQL retries, " << ns_rows() << " rows written\n";
  auto csvs = fetch_csvs(symbols, froms[step], to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
  // No process stuck: both stop cleanly on SIGTERM within a bound.
  host.signal(SIGTERM);
  inside.signal(SIGTERM);
  CHECK(host.wait(60s) == std::optional<int>{0});
  CHECK(inside.wait(60s) == std::optional<int>{0});
  note("both replicas stopped");
  WARN(story.str());
}
