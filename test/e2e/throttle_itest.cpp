// End-to-end tests of throttling against the Yahoo replay server: a long 429 storm delays symbols
// without using up their retry budget, a long Retry-After does not evict an agent from its group,
// and the configured rate holds for a deployment of several agent processes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("throttle: a 429 storm longer than five retry backoffs delays the symbols, and every "
          "symbol completes in the same run",
          "[e2e][throttle]") {
  test_database db{"e2e_throttle"};
  kafka_names k{"throttle"};
  scratch_area area{"throttle"};
  auto dir = area.path();
  // Seven 429s whatever the symbol. The third opens the breaker (0.5 s, doubled at each throttled
  // probe): throttling lasts 0.5 + 1 + 2 + 4 + 8 = 15.5 s, while five failures of a symbol take
  // 0.2 + 0.4 + 0.8 + 1.6 s of backoff (plus the round trips) with --retry-base-ms 200.
  auto [replay, url] = start_replay(dir, {"--script", "*=429,429,429,429,429,429,429"});
  std::vector<std::string> symbols{"MSFT", "NVDA", "TSLA"};
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2021-02-01", "2022-01-31",
                     {"--exit-when-idle", "--source", "yahoo", "--yahoo-url", url, "--rate", "50",
                      "--max-attempts", "1", "--breaker-open-ms", "500", "--retry-base-ms", "200",
                      "--manager-poll-ms", "200"}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 3);
  CHECK(db.scalar("SELECT count(*) FROM symbol_state WHERE attempts > 0") == 0);
  // The storm really happened: the seven 429s and at least one successful request per symbol.
  CHECK(std::stoll(http_get(url_port(url), "/__replay/stats")
                       .second.substr(std::string{"{\"requests\":"}.size())) >= 10);
  auto csvs = fetch_csvs(symbols, "2021-02-01", "2022-01-31", "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
}

namespace {

/// Occurrences of "event=EVENT" for consumer group `group` in a process log.
std::size_t group_events(const std::string& log, const std::string& event,
                         const std::string& group) {
  std::size_t n = 0;
  std::size_t line_start = 0;
  while (line_start < log.size()) {
    auto end = log.find('\n', line_start);
    if (end == std::string::npos) end = log.size();
    auto line = log.substr(line_start, end - line_start);
    if (line.find("event=" + event) != std::string::npos &&
        line.find("group=" + group) != std::string::npos)
      ++n;
    line_start = end + 1;
  }
  return n;
}

/// Rebalance events (assigned, revoked, lost) of `group` in the logs of `procs`.
std::size_t rebalance_events(const std::vector<process*>& procs, const std::string& group) {
  std::size_t n = 0;
  for (const auto* p : procs)
    for (const char* e : {"partitions_assigned", "partitions_revoked", "partitions_lost"})
      n += group_events(p->log(), e, group);
  return n;
}

/// Waits until every process of `procs` owns partitions of `topic` in `group` and no rebalance
/// event has been logged for 3 s (cooperative rebalancing takes several rounds). Returns the
/// number of rebalance events at that point.
std::size_t wait_group_settled(const std::vector<process*>& procs, const std::string& group,
                               const std::string& topic) {
  std::size_t settled = 0;
  auto last_change = std::chrono::steady_clock::now();
  REQUIRE(wait_until(
      [&] {
        auto n = rebalance_events(procs, group);
        if (n != settled) {
          settled = n;
          last_change = std::chrono::steady_clock::now();
        }
        return std::all_of(procs.begin(), procs.end(),
                           [&](process* p) {
                             return p->log().find("protocol=cooperative partitions=" + topic) !=
                                    std::string::npos;
                           }) &&
               std::chrono::steady_clock::now() - last_change > 3s;
      },
      60s));
  return settled;
}

} // namespace

TEST_CASE("agent: a Retry-After longer than max.poll.interval.ms keeps the agent in its group, "
          "and other symbols keep flowing",
          "[e2e][agent]") {
  test_database db{"e2e_retry_after"};
  kafka_names k{"retryafter"};
  scratch_area area{"retry_after"};
  auto dir = area.path();
  // AAPL's first answer: 429 with Retry-After 20 s, twice the agents' max.poll.interval.ms.
  auto [replay, url] = start_replay(dir, {"--script", "AAPL=429:20,ok"});
  const int replay_port = url_port(url);
  std::vector<std::string> symbols{"AAPL", "ABBV", "AMZN", "BABA", "GOOG", "QQQ", "SPOT", "CRON"};
  const std::string from = "2020-01-01", to = "2020-01-03";
  std::vector<std::string> yahoo{"--source",        "yahoo", "--yahoo-url", url, "--rate", "50",
                                 "--agent-max-poll-ms", "10000"};
  auto agent_args = run_args("manager=0,agent=1,processor=0", db, k, symbols, from, to, yahoo);
  // Two agent processes, their group settled before any task exists.
  process a{agent_args, dir + "/agent_a.log"};
  REQUIRE(wait_until(
      [&] { return group_events(a.log(), "partitions_assigned", k.agent_group) >= 1; }, 60s));
  process b{agent_args, dir + "/agent_b.log"};
  const std::vector<process*> agents{&a, &b};
  const auto settled = wait_group_settled(agents, k.agent_group, k.task_topic);
  process core{run_args("manager=1,agent=0,processor=1", db, k, symbols, from, to,
                        {"--manager-poll-ms", "200"}),
               dir + "/core.log"};
  INFO(a.log() << "\n----\n" << b.log());
  auto aapl_requests = [&] {
    auto stats = http_get(replay_port, "/__replay/stats").second;
    auto p = stats.find("\"AAPL\":");
    return p == std::string::npos ? 0 : std::stoi(stats.substr(p + 7));
  };
  REQUIRE(wait_until([&] { return aapl_requests() >= 1; }, 60s));
  // Other symbols complete while AAPL's agent waits out the Retry-After.
  REQUIRE(wait_until([&] { return done_symbols(db) >= 1; }, 15s));
  CHECK(aapl_requests() == 1);
  REQUIRE(wait_until([&] { return done_symbols(db) == static_cast<long long>(symbols.size()); },
                     90s));
  CHECK(aapl_requests() == 2);
  // No rebalance of the agents' group since it settled: no agent was evicted.
  CHECK(rebalance_events(agents, k.agent_group) == settled);
  for (const auto* p : {&a, &b})
    CHECK(p->log().find("maximum poll interval") == std::string::npos);
  auto csvs = fetch_csvs(symbols, from, to, "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("rate: three agent processes together hold the configured Yahoo rate", "[e2e][rate]") {
  test_database db{"e2e_rate"};
  kafka_names k{"rate"};
  scratch_area area{"rate"};
  auto dir = area.path();
  auto [replay, url] = start_replay(dir);
  std::vector<std::string> symbols{"AAPL", "ABBV",  "AFRAF",     "AMZN", "AZT.OL",
                                   "BABA", "BTC-USD", "CRON",    "EPAC", "GOOG",
                                   "OCDO.L", "ORSTED.CO", "QQQ", "SPOT", "WSKT.JK"};
  const std::string from = "2020-01-01", to = "2020-01-03";
  const double rate = 3;
  std::vector<std::string> yahoo{"--source", "yahoo", "--yahoo-url", url, "--rate", "3"};
  std::vector<std::unique_ptr<process>> agents;
  std::vector<process*> group;
  for (int i = 0; i < 3; ++i) {
    agents.push_back(std::make_unique<process>(
        run_args("manager=0,agent=1,processor=0", db, k, symbols, from, to, yahoo),
        dir + "/agent" + std::to_string(i) + ".log"));
    group.push_back(agents.back().get());
  }
  // The group settles before any task exists, so that every agent asks for tokens from the start.
  wait_group_settled(group, k.agent_group, k.task_topic);
  process core{run_args("manager=1,agent=0,processor=1", db, k, symbols, from, to,
                        {"--manager-poll-ms", "200"}),
               dir + "/core.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == static_cast<long long>(symbols.size()); },
                     120s));
  // The replay server's request log: arrival times of the chart requests.
  auto log = http_get(url_port(url), "/__replay/requests").second;
  std::vector<long long> at;
  std::regex re{"\"received_ms\":([0-9]+)"};
  for (std::sregex_iterator i{log.begin(), log.end(), re}, end; i != end; ++i)
    at.push_back(std::stoll((*i)[1]));
  INFO(log);
  REQUIRE(at.size() >= symbols.size()); // a redelivered task is fetched again
  std::sort(at.begin(), at.end());
  const double seconds = static_cast<double>(at.back() - at.front()) / 1000.0;
  const double measured = static_cast<double>(at.size() - 1) / seconds;
  WARN("deployment request rate: " << measured << " requests/s for a configured " << rate);
  CHECK(measured <= rate * 1.1);
  CHECK(measured >= rate * 0.9);
  // The three processes all fetched (the rate was shared, not one process doing everything).
  int fetching = 0;
  for (auto& a : agents) {
    auto port = a->metrics_port();
    REQUIRE(port);
    if (metric(*port, "finstream_tasks_fetched_total") > 0) ++fetching;
  }
  CHECK(fetching >= 2);
  auto csvs = fetch_csvs(symbols, from, to, "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
}
