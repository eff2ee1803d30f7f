// End-to-end tests of history extended backwards by more than one batch (the agents cut a fetch
// into batches of 1,000 bars): in local mode, through Kafka with the processor SIGKILLed in the
// middle of the extension, and a backfill whose range ends before the stored rows.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <string>

#include "core/date.hpp"
#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// The date `n` weekdays (the synthetic source's sessions) before `date`.
std::string weekdays_before(const std::string& date, int n) {
  auto day = *parse_date(date);
  while (n > 0) {
    --day;
    if (const auto w = weekday(day); w != 0 && w != 6) --n;
  }
  return format_date(day);
}

void run_local(const test_database& db, const std::string& symbols, const std::string& from,
               const std::string& to, const std::string& log_path) {
  auto [code, out] =
      run_to_end({"local", "--pg", db.dsn(), "--symbols", symbols, "--source", "synthetic",
                  "--from", from, "--to", to, "--exit-when-idle", "--metrics-port", "-1"},
                 log_path, 300s);
  INFO(out);
  REQUIRE(code == 0);
}

/// Symbols that symbol_state says are done over a range starting at or before `from`, but whose
/// stored rows are fewer than the source's bars over that range: a "done" that hides a hole.
std::vector<std::string> done_with_holes(const test_database& db,
                                         const std::map<std::string, std::string>& csvs,
                                         const std::string& from) {
  std::vector<std::string> out;
  for (const auto& [symbol, csv] : csvs) {
    const auto done = db.scalar("SELECT count(*) FROM symbol_state WHERE symbol = '" + symbol +
                                "' AND status = 'done' AND first_date <= '" + from + "'");
    if (done == 0) continue;
    const auto rows =
        db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = '" + symbol + "'");
    if (rows != static_cast<long long>(csv_rows(csv))) out.push_back(symbol);
  }
  return out;
}

} // namespace

TEST_CASE("extend: local mode, history extended back by many batches (one ending exactly on a "
          "batch boundary) equals finstream indicators over the whole range",
          "[e2e][extend]") {
  test_database db{"e2e_extend_local"};
  scratch_area area{"extend_local"};
  auto dir = area.path();
  for (const char* sub : {"/f1", "/f2", "/f3", "/gap"})
    std::filesystem::create_directories(dir + sub);
  const std::string symbols = "XB1,XB2";
  const std::string to = "2024-12-31";
  run_local(db, symbols, "2010-01-01", to, dir + "/first.log");
  auto first = fetch_csvs({"XB1", "XB2"}, "2010-01-01", to, "synthetic", dir + "/f1");
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = 'XB1'") ==
        static_cast<long long>(csv_rows(first.at("XB1"))));

  // 15 years further back: about 3,900 sessions before the stored ones, four batches.
  run_local(db, symbols, "1995-01-01", to, dir + "/second.log");
  auto second = fetch_csvs({"XB1", "XB2"}, "1995-01-01", to, "synthetic", dir + "/f2");
  CHECK(done_with_holes(db, second, "1995-01-01").empty());
  require_table_equals_indicators(db, second, dir);
  // symbol_state covers the tasks' ranges: from the first day asked.
  CHECK(db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'done' AND first_date = "
                  "'1995-01-01' AND last_date = '" + to + "'") == 2);

  // Exactly 2,000 sessions more: the second batch ends on the session before the stored first
  // date, and the third starts on it.
  const auto from3 = weekdays_before("1995-01-02", 2000);
  auto gap = fetch_csvs({"XB1"}, from3, "1994-12-31", "synthetic", dir + "/gap");
  REQUIRE(csv_rows(gap.at("XB1")) == 2000); // the premise: two full batches
  run_local(db, symbols, from3, to, dir + "/third.log");
  auto third = fetch_csvs({"XB1", "XB2"}, from3, to, "synthetic", dir + "/f3");
  CHECK(done_with_holes(db, third, from3).empty());
  require_table_equals_indicators(db, third, dir);
}

TEST_CASE("extend: a backfill 20 years back through Kafka, its processor SIGKILLed in the middle "
          "of the extension, ends exact and never says done over a hole",
          "[e2e][extend]") {
  test_database db{"e2e_extend_kafka"};
  kafka_names k{"extendk"};
  scratch_area area{"extend_kafka"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(40, "E");
  const std::string from = "2012-01-01", back = "1992-01-01", to = "2020-12-31";
  process feeder{run_args("manager=1,agent=2,processor=0", db, k, symbols, from, to,
                          {"--manager-poll-ms", "200"}),
                 dir + "/feeder.log"};
  auto victim = std::make_unique<process>(
      run_args("manager=0,agent=0,processor=2", db, k, symbols, from, to), dir + "/victim.log");
  REQUIRE(wait_until([&] { return done_symbols(db) == 40; }, 180s));
  const auto stored = db.scalar("SELECT count(*) FROM technical_indicators");

  // 20 years back: about 5,200 sessions per symbol before the stored ones, six batches each.
  auto [code, out] = run_to_end({"backfill", "--pg", db.dsn(), "--from", back, "--to", to},
                                dir + "/backfill.log");
  INFO(out);
  REQUIRE(code == 0);
  auto csvs = fetch_csvs(symbols, back, to, "synthetic", dir);
  long long expected = 0;
  for (const auto& [symbol, csv] : csvs)
    expected += static_cast<long long>(csv_rows(csv));
  const auto extension = expected - stored;
  REQUIRE(wait_until(
      [&] {
        return db.scalar("SELECT count(*) FROM technical_indicators WHERE date < '" + from +
                         "'") > extension / 5;
      },
      180s));
  victim->signal(SIGKILL);
  REQUIRE(victim->wait(10s));
  const auto at_kill = db.scalar("SELECT count(*) FROM technical_indicators WHERE date < '" +
                                 from + "'");
  INFO("extension rows at the kill " << at_kill << " of " << extension);
  CHECK(at_kill < extension); // the kill fell inside the extension
  CHECK(done_with_holes(db, csvs, back).empty());

  process restarted{run_args("manager=0,agent=0,processor=2", db, k, symbols, from, to),
                    dir + "/restarted.log"};
  REQUIRE(wait_until(
      [&] {
        return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'done' AND "
                         "first_date <= '" + back + "'") == 40;
      },
      240s));
  CHECK(done_with_holes(db, csvs, back).empty());
  require_table_equals_indicators(db, csvs, dir);
  CHECK(count(restarted.log() + victim->log(), "event=extension_closed") >= 1);
}

TEST_CASE("extend: a backfill whose range ends years before the stored rows is planned through them",
          "[e2e][extend]") {
  test_database db{"e2e_extend_apart"};
  kafka_names k{"extenda"};
  scratch_area area{"extend_apart"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(2, "A");
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2015-01-01", "2020-12-31",
                     {"--manager-poll-ms", "200"}),
            dir + "/run.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 2; }, 120s));
  // 2000-2004 only: 2005-2014 would be a hole that symbol_state's [first, last] hides, and a
  // 2000-2004 fetch would miss the splits of 2005-2020 that the stored rows reflect.
  auto [code, out] = run_to_end({"backfill", "--pg", db.dsn(), "--from", "2000-01-01", "--to",
                                 "2004-12-31", "--symbols", "A000"},
                                dir + "/backfill.log");
  INFO(out);
  REQUIRE(code == 0);
  auto long_csvs = fetch_csvs({"A000"}, "2000-01-01", "2020-12-31", "synthetic", dir);
  const auto expected = static_cast<long long>(csv_rows(long_csvs.at("A000")));
  const auto settled = [&] {
    return db.scalar("SELECT count(*) FROM symbol_state WHERE symbol = 'A000' AND status = "
                     "'done' AND first_date = '2000-01-01'") == 1 &&
           db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = 'A000'") ==
               expected;
  };
  if (!wait_until(settled, 120s)) {
    INFO("symbol_state: status done "
         << db.scalar("SELECT count(*) FROM symbol_state WHERE symbol = 'A000' AND status = "
                      "'done'")
         << ", first_date - 2000-01-01 = "
         << db.scalar("SELECT first_date - DATE '2000-01-01' FROM symbol_state WHERE symbol = "
                      "'A000'")
         << ", planned_to - 2000-01-01 = "
         << db.scalar("SELECT planned_to - DATE '2000-01-01' FROM symbol_state WHERE symbol = "
                      "'A000'")
         << "; rows "
         << db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = 'A000'")
         << " of " << expected);
    FAIL("the backfill did not settle");
  }
  p.signal(SIGTERM);
  REQUIRE(p.wait(15s) == 0);
  auto short_csvs = fetch_csvs({"A001"}, "2015-01-01", "2020-12-31", "synthetic", dir);
  long_csvs.insert(short_csvs.begin(), short_csvs.end());
  require_table_equals_indicators(db, long_csvs, dir);
}
