// End-to-end tests of `finstream local`: from a clean directory with its own PostgreSQL, and
// interrupted with SIGTERM then started again.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// The private cluster's DSN as `finstream local` documents it.
std::string local_dsn(const std::string& data_dir) {
  return "host=" + std::filesystem::absolute(data_dir).string() +
         "/run port=5432 dbname=finstream user=finstream";
}

long long count_rows(const std::string& dsn) {
  try {
    pg::reconnect_policy quick;
    quick.give_up_after = std::chrono::milliseconds{500};
    quick.connect_timeout_s = 2;
    pg::connection c{dsn, quick};
    auto r = c.exec("SELECT count(*) FROM technical_indicators");
    return std::stoll(r.str(0, 0));
  } catch (const std::exception&) {
    return -1;
  }
}

} // namespace

TEST_CASE("local: from a clean directory, without --pg, it runs its own PostgreSQL and prints a "
          "summary",
          "[e2e][local]") {
  scratch_area area{"local_clean"};
  auto dir = area.path();
  auto data = dir + "/data";
  auto [code, out] =
      run_to_end({"local", "--symbols", "AAA,BBB,CCC", "--from", "2019-01-01", "--to", "2020-12-31",
                  "--data-dir", data, "--exit-when-idle", "--stop-db", "--metrics-port", "-1"},
                 dir + "/local.log", 180s);
  INFO(out);
  REQUIRE(code == 0);
  CHECK(out.find("finstream summary") != std::string::npos);
  CHECK(out.find("symbols   3 of 3") != std::string::npos);
  auto csvs = fetch_csvs({"AAA", "BBB", "CCC"}, "2019-01-01", "2020-12-31", "synthetic", dir);
  std::size_t bars = 0;
  for (const auto& [symbol, csv] : csvs)
    bars += csv_rows(csv);
  CHECK(bars > 1000);
  CHECK(out.find("rows      " + std::to_string(bars) + " in technical_indicators") !=
        std::string::npos);
  CHECK(out.find("psql \"host=") != std::string::npos);
  CHECK(std::filesystem::exists(data + "/pg/PG_VERSION"));
}

TEST_CASE("local: interrupted with SIGTERM and started again, it finishes with nothing lost or "
          "duplicated",
          "[e2e][local]") {
  scratch_area area{"local_resume"};
  auto dir = area.path();
  auto data = dir + "/data";
  auto symbols = synthetic_symbols(60, "L");
  std::vector<std::string> args{"local",      "--symbols",      join(symbols), "--from",
                                "2004-01-01", "--to",           "2020-12-31",  "--data-dir",
                                data,         "--metrics-port", "-1",          "--exit-when-idle"};
  auto dsn = local_dsn(data);
  {
    process first{args, dir + "/first.log"};
    REQUIRE(wait_until([&] { return count_rows(dsn) > 2000; }, 180s));
    first.signal(SIGTERM);
    auto code = first.wait(10s);
    INFO(first.log());
    REQUIRE(code == 0);
  }
  auto rows_after_interrupt = count_rows(dsn);
  auto csvs = fetch_csvs(symbols, "2004-01-01", "2020-12-31", "synthetic", dir);
  std::size_t bars = 0;
  for (const auto& [symbol, csv] : csvs)
    bars += csv_rows(csv);
  INFO("rows after the interruption: " << rows_after_interrupt << " of " << bars);
  CHECK(rows_after_interrupt > 0);
  CHECK(rows_after_interrupt < static_cast<long long>(bars));
  // Started again (its PostgreSQL is still running: finstream local leaves it up for psql).
  auto [code, out] = run_to_end(args, dir + "/second.log", 300s);
  INFO(out);
  REQUIRE(code == 0);
  require_table_equals_indicators(dsn, csvs, dir);
  // Stop the private server: one more run that has nothing to do.
  auto last = args;
  last.push_back("--stop-db");
  CHECK(run_to_end(last, dir + "/stop.log", 120s).first == 0);
  CHECK(count_rows(dsn) == -1);
}
