// End-to-end tests of the manager: one leader among replicas and hand-over when it dies, resume
// after a crash in the middle of planning, on-demand backfill.
#include <catch2/catch.hpp>

#include <csignal>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("leader: one active manager among replicas, another takes over within seconds when the "
          "leader is SIGKILLed",
          "[e2e][leader]") {
  test_database db{"e2e_leader"};
  kafka_names k{"leader"};
  scratch_area area{"leader"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(80);
  const std::string from = "2008-01-01", to = "2020-12-31";
  std::vector<std::string> fast{"--manager-poll-ms", "200"};
  auto first = std::make_unique<process>(
      run_args("manager=1,agent=1,processor=1", db, k, symbols, from, to, fast),
      dir + "/first.log");
  auto port1 = first->metrics_port();
  REQUIRE(port1);
  REQUIRE(wait_until([&] { return metric(*port1, "finstream_manager_leader") == 1; }, 60s));
  process second{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, to, fast),
                 dir + "/second.log"};
  auto port2 = second.metrics_port();
  REQUIRE(port2);
  // Exactly one leader while both run: sampled until the second process has joined the work (its
  // processor wrote rows, so its manager, which ticks at start and every 200 ms, has long tried
  // the lock), and the first process's rows are in.
  int samples = 0, wrong = 0;
  REQUIRE(wait_until(
      [&] {
        ++samples;
        if (metric(*port1, "finstream_manager_leader") != 1 ||
            metric(*port2, "finstream_manager_leader") != 0)
          ++wrong;
        return metric(*port2, "finstream_pg_rows_written_total") > 0 &&
               metric(*port1, "finstream_pg_rows_written_total") > 0;
      },
      120s));
  INFO("leader samples: " << samples);
  CHECK(wrong == 0);
  first->signal(SIGKILL);
  auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(first->wait(10s));
  REQUIRE(wait_until([&] { return metric(*port2, "finstream_manager_leader") == 1; }, 30s));
  auto handover = std::chrono::steady_clock::now() - killed_at;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(handover).count();
  WARN("leader hand-over took " << ms << " ms");
  // docs/operations.md promises ~1 s (a killed leader's session ends with its connection; the
  // standby tries the lock every poll); 5 s leaves margin for a loaded machine.
  CHECK(ms < 5000);
  // The new leader continues from symbol_state and the work completes exactly.
  INFO(second.log());
  REQUIRE(wait_until([&] { return done_symbols(db) == 80; }, 300s));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("resume: a process SIGKILLed while tasks are planned and in flight finishes the job when "
          "restarted",
          "[e2e][resume]") {
  test_database db{"e2e_resume"};
  kafka_names k{"resume"};
  scratch_area area{"resume"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(60);
  const std::string from = "2006-01-01", to = "2020-12-31";
  {
    process p{run_args("manager=1,agent=2,processor=2", db, k, symbols, from, to),
              dir + "/first.log"};
    REQUIRE(wait_until([&] { return done_symbols(db) >= 3; }, 120s));
    p.signal(SIGKILL);
    REQUIRE(p.wait(10s));
  }
  auto planned = db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'planned'");
  INFO("symbols planned but not completed at the kill: " << planned);
  CHECK(planned > 0);
  process again{
      run_args("manager=1,agent=2,processor=2", db, k, symbols, from, to, {"--exit-when-idle"}),
      dir + "/second.log"};
  auto code = again.wait(300s);
  INFO(again.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 60);
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("backfill: a request against a running deployment extends history and recomputes",
          "[e2e][backfill]") {
  test_database db{"e2e_backfill"};
  kafka_names k{"backfill"};
  scratch_area area{"backfill"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(4);
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2019-01-01", "2020-12-31",
                     {"--manager-poll-ms", "200"}),
            dir + "/run.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 4; }, 120s));
  auto [code, out] = run_to_end({"backfill", "--pg", db.dsn(), "--from", "2017-01-01", "--to",
                                 "2020-12-31", "--symbols", "S001,S002"},
                                dir + "/backfill.log");
  INFO(out);
  REQUIRE(code == 0);
  CHECK(out.find("backfill request") != std::string::npos);
  REQUIRE(wait_until(
      [&] {
        return db.scalar("SELECT count(*) FROM technical_indicators WHERE date < '2019-01-01'") >
                   0 &&
               db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'done'") == 4;
      },
      120s));
  // Let the backfill's last commit land, then compare: S001 and S002 cover 2017-2020 as if fetched
  // in one go, the others 2019-2020.
  REQUIRE(wait_until(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM technical_indicators WHERE symbol IN ('S001','S002') "
                   "AND date < '2019-01-01'") > 2 * 500;
      },
      60s));
  p.signal(SIGTERM);
  REQUIRE(p.wait(15s) == 0);
  auto long_csvs = fetch_csvs({"S001", "S002"}, "2017-01-01", "2020-12-31", "synthetic", dir);
  auto short_csvs = fetch_csvs({"S000", "S003"}, "2019-01-01", "2020-12-31", "synthetic", dir);
  long_csvs.insert(short_csvs.begin(), short_csvs.end());
  require_table_equals_indicators(db, long_csvs, dir);
}
