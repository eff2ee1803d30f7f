// End-to-end test of the revision window: a bar the source corrects after it was stored (a
// preliminary volume and close) is corrected in the table at the next daily run.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/task_batches.hpp"
#include "harness.hpp"
#include "kafka/codec.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "sources/synthetic.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

const char* msft_recording = "historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json";

/// The element spans [begin, end) of the JSON array that follows `"key": [` in `text`.
std::vector<std::pair<std::size_t, std::size_t>> array_elements(const std::string& text,
                                                                 const std::string& key) {
  auto at = text.find("\"" + key + "\": [");
  REQUIRE(at != std::string::npos);
  auto pos = text.find('[', at) + 1;
  auto close = text.find(']', pos);
  std::vector<std::pair<std::size_t, std::size_t>> out;
  while (pos < close) {
    auto comma = std::min(text.find(',', pos), close);
    auto b = text.find_first_not_of(" \r\n\t", pos);
    auto e = text.find_last_not_of(" \r\n\t", comma - 1) + 1;
    out.emplace_back(b, e);
    pos = comma + 1;
  }
  return out;
}

/// A copy of the MSFT recording in `dir` where the session starting at `timestamp` has the
/// volume and close a source would report once they are final.
void write_revised_recording(const std::string& dir, const std::string& timestamp) {
  std::ifstream in{test::source_dir() + "/test/data/yahoo-chart/" + msft_recording};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto stamps = array_elements(text, "timestamp");
  std::size_t index = stamps.size();
  for (std::size_t i = 0; i < stamps.size(); ++i)
    if (text.substr(stamps[i].first, stamps[i].second - stamps[i].first) == timestamp) index = i;
  REQUIRE(index < stamps.size());
  // Replace from the end of the text backwards so that earlier spans stay valid.
  auto close = array_elements(text, "close")[index];
  auto volume = array_elements(text, "volume")[index];
  std::vector<std::pair<std::pair<std::size_t, std::size_t>, std::string>> edits{
      {close, "318.21"}, {volume, "41107541"}};
  std::sort(edits.begin(), edits.end(),
            [](const auto& a, const auto& b) { return a.first.first > b.first.first; });
  for (const auto& [span, value] : edits) {
    INFO("recorded " << text.substr(span.first, span.second - span.first));
    CHECK(text.substr(span.first, span.second - span.first) != value);
    text.replace(span.first, span.second - span.first, value);
  }
  std::filesystem::create_directories(dir);
  std::ofstream{dir + "/" + msft_recording} << text;
}

} // namespace

TEST_CASE("revision: a bar the source revised inside the window is corrected at the next run, "
          "recomputing from that session only",
          "[e2e][revision]") {
  test_database db{"e2e_revision"};
  kafka_names k{"revision"};
  scratch_area area{"revision"};
  auto dir = area.path();
  const std::vector<std::string> symbols{"MSFT"};
  const std::string from = "2021-02-01";
  // Day 1: through Friday 2022-01-14, as first reported.
  {
    auto [replay, url] =
        start_yahoo_replay(test::source_dir() + "/test/data/yahoo-chart", dir + "/replay1.log");
    process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, "2022-01-14",
                       {"--exit-when-idle", "--source", "yahoo", "--yahoo-url", url}),
              dir + "/day1.log"};
    auto code = p.wait(120s);
    INFO(p.log());
    REQUIRE(code == 0);
  }
  REQUIRE(db.scalar("SELECT count(*) FROM technical_indicators WHERE date = '2022-01-13'") == 1);
  // Day 2: the source now reports Thursday 2022-01-13 (inside the last five sessions) with its
  // final volume and close, and the sessions up to 2022-01-31.
  write_revised_recording(dir + "/revised", "1642084200"); // 2022-01-13 09:30 New York
  auto [replay, url] = start_yahoo_replay(dir + "/revised", dir + "/replay2.log");
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, "2022-01-31",
                     {"--exit-when-idle", "--source", "yahoo", "--yahoo-url", url}),
            dir + "/day2.log"};
  auto code = p.wait(120s);
  INFO(p.log());
  REQUIRE(code == 0);
  // The task re-fetched the window: the five sessions through the stored last date, then on.
  CHECK(db.scalar("SELECT planned_from - DATE '2022-01-10' FROM symbol_state") == 0);
  // One restart from the revised session, no full recompute.
  CHECK(p.log().find("event=revision symbol=MSFT from=2022-01-13") != std::string::npos);
  CHECK(p.log().find("event=recompute") == std::string::npos);
  // The table equals a fresh computation on the revised data.
  auto csvs = fetch_csvs(symbols, from, "2022-01-31", "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
  CHECK(db.scalar("SELECT volume FROM technical_indicators WHERE date = '2022-01-13'") == 41107541);
}

TEST_CASE("revision: the bars of an older task published after a newer one's (a slow agent of an "
          "expired task) never overwrite the newer values",
          "[e2e][revision]") {
  test_database db{"e2e_late_fetch"};
  kafka_names k{"latefetch"};
  scratch_area area{"late_fetch"};
  auto dir = area.path();
  create_topics(k, 2);
  const std::string symbol = "R001", from = "2019-01-01", to = "2020-12-31";
  auto csvs = fetch_csvs({symbol}, from, to, "synthetic", dir);
  // The bars as `finstream fetch` wrote them; the source's corrected volumes of the last three
  // sessions, as the CSV the oracle reads.
  std::vector<std::string> lines;
  {
    std::ifstream in{csvs.at(symbol)};
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  REQUIRE(lines.size() > 400);
  synthetic_source src;
  fetch_task t{symbol + ":t", symbol, *parse_date(from), *parse_date(to), 0};
  auto whole = engine::make_batches(t, src.fetch(symbol, t.from, t.to), 100000);
  REQUIRE(whole.size() == 1);
  auto bars = whole[0].bars;
  REQUIRE(bars.size() == lines.size() - 1);
  auto revised = bars;
  for (std::size_t i = bars.size() - 3; i < bars.size(); ++i) {
    revised[i].volume += 1000 * static_cast<std::int64_t>(i);
    auto& line = lines[i + 1];
    line = line.substr(0, line.rfind(',') + 1) + std::to_string(revised[i].volume);
  }
  {
    std::ofstream out{csvs.at(symbol)};
    for (const auto& line : lines)
      out << line << "\n";
  }
  // Task 1 (generation 50) stored everything; task 2 (planned at 100) expired while its agent
  // was slow; task 3 (planned at 200) fetched the corrections. Task 2's bars come last.
  auto batch = [&](const std::string& id, std::int64_t generation, std::vector<bar> b) {
    bar_batch x;
    x.task_id = symbol + ":" + id;
    x.symbol = symbol;
    x.from = b.front().date;
    x.to = b.back().date;
    x.complete_through = x.to;
    x.generation = generation;
    x.bars = std::move(b);
    return kafka::encode(x);
  };
  const std::vector<bar> tail_old(bars.end() - 10, bars.end());
  const std::vector<bar> tail_new(revised.end() - 10, revised.end());
  {
    kafka::config kc;
    kc.bootstrap_servers = test::kafka_bootstrap();
    kafka::producer producer{kc};
    producer.produce(k.data_topic, symbol, batch("t1", 50, bars));
    producer.produce(k.data_topic, symbol, batch("t3", 200, tail_new));
    producer.produce(k.data_topic, symbol, batch("t2", 100, tail_old));
    REQUIRE(producer.flush(30s));
  }
  process p{run_args("manager=0,agent=0,processor=1", db, k, {symbol}, from, to),
            dir + "/run.log"};
  auto port = p.metrics_port();
  REQUIRE(port);
  REQUIRE(wait_until(
      [&] {
        return metric(*port, "finstream_bars_consumed_total") ==
               static_cast<long long>(bars.size() + 20);
      },
      60s));
  p.signal(SIGTERM);
  REQUIRE(p.wait(30s) == 0);
  CHECK(count(p.log(), "event=revision ") == 1); // task 3's; task 2's bars are duplicates
  require_table_equals_indicators(db, csvs, dir);
}
