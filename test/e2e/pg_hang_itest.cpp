// End-to-end: a PostgreSQL server that hangs (every process SIGSTOPped: connections stay open,
// the kernel acknowledges TCP, nothing answers) is detected by the client-side deadline, and the
// pipeline completes exactly once it is back. Runs on a private server, never the shared one.
#include <catch2/catch.hpp>

#include <csignal>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("run: a PostgreSQL server stopped for longer than the timeouts is detected, and the "
          "pipeline completes exactly after it continues",
          "[e2e][pg_hang]") {
  scratch_area area{"pg_hang"};
  auto dir = area.path();
  private_postgres server{dir + "/pg"};
  test_database db{"e2e_hang", server.dsn()};
  kafka_names k{"hang"};
  auto symbols = synthetic_symbols(40);
  const std::string from = "2006-01-01", to = "2020-12-31"; // ~157,000 bars
  // Short limits, so that the test is quick: the client gives up on an answer after 3 + 5 s.
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, to,
                     {"--exit-when-idle", "--pg-statement-timeout-ms", "3000",
                      "--pg-idle-in-transaction-timeout-ms", "3000", "--pg-tcp-user-timeout-ms",
                      "5000", "--manager-poll-ms", "200"}),
            dir + "/run.log"};
  REQUIRE(wait_until([&] { return db.scalar("SELECT count(*) FROM technical_indicators") > 5000; },
                     180s));
  const auto rows_before = db.scalar("SELECT count(*) FROM technical_indicators");
  REQUIRE(done_symbols(db) < 40); // still working: its connections are in use
  REQUIRE(server.pause() > 0);
  const auto paused_at = std::chrono::steady_clock::now();
  // Held stopped until finstream reports a connection without an answer (at the earliest after
  // statement_timeout + 5 s): that is the detection this test is about.
  const bool detected =
      wait_until([&] { return p.log().find("event=no_answer") != std::string::npos; }, 60s);
  const auto paused_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - paused_at)
                             .count();
  server.resume();
  INFO(p.log());
  WARN("server paused for " << paused_ms << " ms until the hang was detected");
  REQUIRE(detected);
  CHECK(paused_ms >= 3000);
  auto code = p.wait(300s);
  REQUIRE(code == 0);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators") > rows_before);
  CHECK(done_symbols(db) == 40);
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
