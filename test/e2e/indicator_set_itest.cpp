// End-to-end tests of the configurable indicator set on the real Kafka broker and PostgreSQL: a
// non-default set gives exactly what `finstream indicators` computes with it; an indicator added
// to a running deployment is filled over the stored history while ingestion goes on, leaving the
// other columns bit for bit as they were.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "harness.hpp"
#include "indicators/indicator_set.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

void write_universe(const std::string& path, const std::vector<std::string>& symbols) {
  std::ofstream out{path + ".tmp"};
  for (const auto& s : symbols)
    out << s << "\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

} // namespace

TEST_CASE("run: a non-default indicator set configured for migrate gives exactly the columns "
          "and values of finstream indicators with that set",
          "[e2e]") {
  test_database db{"e2e_set"};
  kafka_names k{"set"};
  scratch_area area{"set"};
  auto dir = area.path();
  const std::string spec = "rsi(14),macd(12,26,9),sma(50),sma(200),rsi(7),bbands(10,3),adx(7)";
  auto [mcode, mlog] =
      run_to_end({"migrate", "--pg", db.dsn(), "--indicators", spec}, dir + "/migrate.log");
  INFO(mlog);
  REQUIRE(mcode == 0);
  CHECK(mlog.find("columns added: sma_50, sma_200, rsi_7, bb_upper_10_3") != std::string::npos);
  auto symbols = synthetic_symbols(4);
  process p{run_args("manager=1,agent=1,processor=2", db, k, symbols, "2016-01-01", "2020-12-31",
                     {"--exit-when-idle"}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 4);
  auto csvs = fetch_csvs(symbols, "2016-01-01", "2020-12-31", "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir, spec);
  // RSI(14) and MACD(12,26,9) keep the original columns; outputs of the default set that are not
  // configured are not computed.
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE rsi IS NOT NULL") > 0);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE sma IS NOT NULL OR obv IS NOT "
                  "NULL OR adx IS NOT NULL") == 0);
}

TEST_CASE("run: sma(200) added to a running deployment is filled over the stored history while "
          "new symbols are ingested, the other columns stay bit for bit",
          "[e2e]") {
  test_database db{"e2e_setadd"};
  kafka_names k{"setadd"};
  scratch_area area{"setadd"};
  auto dir = area.path();
  auto first = synthetic_symbols(6, "F");
  auto later = synthetic_symbols(4, "L");
  const std::string universe = dir + "/universe.txt";
  write_universe(universe, first);
  std::vector<std::string> args{"run",    "--roles",    "manager=1,agent=1,processor=2",
                                "--pg",   db.dsn(),     "--universe",
                                universe, "--from",     "2012-01-01",
                                "--to",   "2020-12-31", "--metrics-port",
                                "0"};
  auto kf = k.flags();
  args.insert(args.end(), kf.begin(), kf.end());
  process p{args, dir + "/run.log"};
  INFO(p.log());
  REQUIRE(wait_until([&] { return done_symbols(db) == 6; }, 240s));
  const auto before = read_table(db.dsn());
  REQUIRE(!before.empty());

  // Ingestion goes on (new symbols) while the indicator is added.
  write_universe(universe, [&] {
    auto all = first;
    all.insert(all.end(), later.begin(), later.end());
    return all;
  }());
  const auto t0 = std::chrono::steady_clock::now();
  auto [acode, alog] =
      run_to_end({"indicators-set", "add", "sma(200)", "--pg", db.dsn()}, dir + "/add.log");
  INFO(alog);
  REQUIRE(acode == 0);
  CHECK(alog.find("columns added: sma_200") != std::string::npos);
  REQUIRE(wait_until(
      [&] {
        return done_symbols(db) == 10 &&
               db.scalar("SELECT count(*) FROM indicator_fill_pending") == 0 &&
               db.scalar("SELECT count(*) FROM technical_indicators WHERE sma_200 IS NULL AND "
                         "symbol LIKE 'F%' AND date > DATE '2013-01-01'") == 0;
      },
      240s));
  WARN("sma(200) filled over " << before.size() << " stored rows (and 4 symbols ingested) in "
                               << std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count()
                               << " ms");
  // Only the added indicator was computed: no symbol's indicators were recomputed as a whole.
  CHECK(count(p.log(), "event=fill") >= 6);
  CHECK(count(p.log(), "event=recompute") == 0);

  // The columns present before are bit for bit what they were.
  const auto after = read_table(db.dsn());
  for (const auto& [key, row] : before) {
    auto it = after.find(key);
    INFO(key.first << " " << key.second);
    REQUIRE(it != after.end());
    for (std::size_t j = 0; j < row.size(); ++j)
      REQUIRE(same(it->second[j], row[j]));
  }
  // Every row, old and new symbols, equals finstream indicators with the new set.
  const std::string spec = std::string{indicators::indicator_set::default_spec()} + ",sma(200)";
  auto csvs = fetch_csvs(first, "2012-01-01", "2020-12-31", "synthetic", dir);
  for (auto& [s, path] : fetch_csvs(later, "2012-01-01", "2020-12-31", "synthetic", dir))
    csvs[s] = path;
  require_table_equals_indicators(db, csvs, dir, spec);
  p.signal(SIGTERM);
  CHECK(p.wait(30s) == 0);
}

TEST_CASE("local: sma(200) added between two runs is filled over every stored row, with and "
          "without --exit-when-idle",
          "[e2e][local]") {
  test_database db{"e2e_setlocal"};
  scratch_area area{"setlocal"};
  auto dir = area.path();
  const std::vector<std::string> symbols{"LF1", "LF2"};
  const std::string from = "2001-01-01", to = "2020-12-31"; // 2 symbols x 20 years
  const std::vector<std::string> local{"local",  "--pg",   db.dsn(), "--symbols", "LF1,LF2",
                                       "--from", from,     "--to",   to,          "--metrics-port",
                                       "-1",     "--ui-port", "-1"};
  auto with = [](std::vector<std::string> v, const std::vector<std::string>& more) {
    v.insert(v.end(), more.begin(), more.end());
    return v;
  };
  auto [code1, out1] = run_to_end(with(local, {"--exit-when-idle"}), dir + "/first.log", 180s);
  INFO(out1);
  REQUIRE(code1 == 0);
  const auto rows = db.scalar("SELECT count(*) FROM technical_indicators");
  REQUIRE(rows > 10000);
  const std::string spec = std::string{indicators::indicator_set::default_spec()} + ",sma(200)";
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);

  SECTION("--exit-when-idle exits only once every stored row is filled") {
    auto [acode, alog] =
        run_to_end({"indicators-set", "add", "sma(200)", "--pg", db.dsn()}, dir + "/add.log");
    INFO(alog);
    REQUIRE(acode == 0);
    REQUIRE(db.scalar("SELECT count(*) FROM indicator_fill_pending") == 2);
    auto [code2, out2] = run_to_end(with(local, {"--exit-when-idle"}), dir + "/second.log", 180s);
    INFO(out2);
    REQUIRE(code2 == 0);
    CHECK(count(out2, "event=fill ") == 2);
    CHECK(db.scalar("SELECT count(*) FROM indicator_fill_pending") == 0);
    CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE sma_200 IS NOT NULL") > 0);
    require_table_equals_indicators(db, csvs, dir, spec);
  }
  SECTION("a running local process follows the set changed beside it and fills") {
    process p{local, dir + "/running.log"};
    REQUIRE(wait_until(
        [&] { return p.log().find("event=leader_acquired") != std::string::npos; }, 60s));
    auto [acode, alog] =
        run_to_end({"indicators-set", "add", "sma(200)", "--pg", db.dsn()}, dir + "/add.log");
    INFO(alog);
    REQUIRE(acode == 0);
    REQUIRE(wait_until(
        [&] {
          return db.scalar("SELECT count(*) FROM indicator_fill_pending") == 0 &&
                 db.scalar("SELECT count(*) FROM technical_indicators WHERE sma_200 IS NULL AND "
                           "date > DATE '2002-01-01'") == 0;
        },
        60s));
    p.signal(SIGTERM);
    CHECK(p.wait(30s) == 0);
    // Each of its processors switched (local mode runs two by default).
    CHECK(count(p.log(), "event=indicator_set_changed") >= 1);
    require_table_equals_indicators(db, csvs, dir, spec);
  }
}
