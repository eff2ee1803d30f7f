// End-to-end tests of `finstream run` on the real Kafka broker and the real PostgreSQL: results
// equal `finstream indicators`, replicas share the work, crashes lose and duplicate nothing, poison
// messages go to dead-letter topics, a backlog runs in bounded memory.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness.hpp"
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("run: a synthetic universe through Kafka gives exactly the rows of finstream indicators",
          "[e2e]") {
  test_database db{"e2e_equiv"};
  kafka_names k{"equiv"};
  scratch_area area{"equiv"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(6);
  process p{run_args("manager=1,agent=2,processor=2", db, k, symbols, "2016-01-01", "2020-12-31",
                     {"--exit-when-idle"}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 6);
  auto csvs = fetch_csvs(symbols, "2016-01-01", "2020-12-31", "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("run: bars with a broken adjusted close (SSNLF) are all stored, adj_close NULL, "
          "indicators as finstream indicators computes them",
          "[e2e]") {
  test_database db{"e2e_adj"};
  kafka_names k{"adj"};
  scratch_area area{"adj"};
  auto dir = area.path();
  // csv:DIR reads DIR/SYMBOL.csv: the real yfinance export with -inf / empty Adj Close values.
  std::filesystem::create_directories(dir + "/csv");
  std::filesystem::copy_file(test::source_dir() + "/test/data/yfinance-csv/SSNLF-1d-bad-div.csv",
                             dir + "/csv/SSNLF.csv");
  const std::string source = "csv:" + dir + "/csv";
  process p{run_args("manager=1,agent=1,processor=1", db, k, {"SSNLF"}, "2001-01-01",
                     "2024-12-31", {"--exit-when-idle", "--source", source}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  // What `finstream fetch` reads from the same file (empty adj_close where it is broken) is what
  // the table holds: every bar, and the indicators finstream indicators computes from them.
  auto csvs = fetch_csvs({"SSNLF"}, "2001-01-01", "2024-12-31", source, dir);
  std::size_t broken = 0;
  {
    std::ifstream in{csvs.at("SSNLF")};
    std::string line;
    while (std::getline(in, line))
      broken += line.size() > 2 && line.find(",,") != std::string::npos;
  }
  CHECK(broken > 0);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators") ==
        static_cast<long long>(csv_rows(csvs.at("SSNLF"))));
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE adj_close IS NULL") ==
        static_cast<long long>(broken));
  require_table_equals_indicators(db, csvs, dir);
}


TEST_CASE("run: recorded Yahoo responses through the replay server give the rows of finstream "
          "indicators",
          "[e2e]") {
  test_database db{"e2e_yahoo"};
  kafka_names k{"yahoo"};
  scratch_area area{"yahoo"};
  auto dir = area.path();
  auto [replay, url] = start_replay(dir);
  // The recorded year of MSFT (dividends) and NVDA (a 4:1 split), and TSLA cut to that year.
  std::vector<std::string> symbols{"MSFT", "NVDA", "TSLA"};
  // ZZZZ is unknown to Yahoo (404): marked failed for good, with the reason, and not retried.
  auto universe = symbols;
  universe.push_back("ZZZZ");
  process p{run_args("manager=1,agent=1,processor=1", db, k, universe, "2021-02-01", "2022-01-31",
                     {"--exit-when-idle", "--source", "yahoo", "--yahoo-url", url, "--rate", "50"}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 3);
  {
    auto c = db.connect();
    auto r = c.exec(
        "SELECT status, permanent::text, last_error FROM symbol_state WHERE symbol = 'ZZZZ'");
    REQUIRE(r.rows() == 1);
    CHECK(r.str(0, 0) == "failed");
    CHECK(r.str(0, 1) == "true");
    CHECK(r.str(0, 2).find("not found") != std::string::npos);
  }
  CHECK(http_get(url_port(url), "/__replay/stats").second.find("\"ZZZZ\":1") != std::string::npos);
  auto csvs = fetch_csvs(symbols, "2021-02-01", "2022-01-31", "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = 'NVDA'") > 200);
}

TEST_CASE("run: two processes share the partitions and the work, serve their metrics, and stop "
          "cleanly on SIGTERM",
          "[e2e]") {
  test_database db{"e2e_scale"};
  kafka_names k{"scale"};
  scratch_area area{"scale"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(40);
  process a{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2012-01-01", "2020-12-31"),
            dir + "/a.log"};
  process b{run_args("manager=0,agent=1,processor=1", db, k, symbols, "2012-01-01", "2020-12-31"),
            dir + "/b.log"};
  auto port_a = a.metrics_port();
  auto port_b = b.metrics_port();
  REQUIRE(port_a);
  REQUIRE(port_b);
  INFO(a.log() << "\n----\n" << b.log());
  REQUIRE(wait_until([&] { return done_symbols(db) == 40; }, 240s));
  // Both processes wrote rows: the processors' group split the partitions between them.
  auto rows_a = metric(*port_a, "finstream_pg_rows_written_total");
  auto rows_b = metric(*port_b, "finstream_pg_rows_written_total");
  CHECK(rows_a > 0);
  CHECK(rows_b > 0);
  CHECK(metric(*port_a, "finstream_tasks_fetched_total") +
            metric(*port_b, "finstream_tasks_fetched_total") >=
        40);
  CHECK(metric(*port_a, "finstream_manager_leader") == 1);
  // Operations surface.
  for (int port : {*port_a, *port_b}) {
    CHECK(http_get(port, "/healthz").first == 200);
    auto ready = http_get(port, "/readyz");
    CHECK(ready.first == 200);
    auto body = http_get(port, "/metrics").second;
    for (const char* series :
         {"finstream_bars_consumed_total", "finstream_pg_rows_written_total",
          "finstream_pg_batch_rows_bucket", "finstream_pg_commit_seconds_bucket",
          "finstream_kafka_consumer_lag", "finstream_kafka_paused_partitions",
          "finstream_tasks_fetched_total"})
      CHECK(body.find(series) != std::string::npos);
  }
  CHECK(http_get(*port_a, "/metrics").second.find("finstream_tasks_planned_total") !=
        std::string::npos);
  // SIGTERM: both stop consuming, commit, close their consumers and exit 0, which they do only
  // when everything stopped cleanly within the 8 s stop budget. The wait leaves margin for a
  // loaded machine; the measured stop time is logged.
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(a.wait(30s) == 0);
  CHECK(b.wait(30s) == 0);
  WARN("stop after SIGTERM took "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                t0)
              .count()
       << " ms");
  // Dynamic members left their groups at once (not after the 45 s session timeout).
  CHECK(group_members(k.agent_group) == 0);
  CHECK(group_members(k.processor_group) == 0);
  auto csvs = fetch_csvs(symbols, "2012-01-01", "2020-12-31", "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("run: SIGTERM while an agent waits on a slow source abandons the fetch, leaves the "
          "group, exits 3, and the unfinished task is redone later",
          "[e2e]") {
  test_database db{"e2e_slow"};
  kafka_names k{"slow"};
  scratch_area area{"slow"};
  auto dir = area.path();
  // MSFT's first answer comes after a minute; the agent's read timeout is longer.
  auto [replay, url] = start_replay(dir, {"--script", "MSFT=delay:60000,ok"});
  std::vector<std::string> symbols{"MSFT"};
  std::vector<std::string> yahoo{"--source", "yahoo", "--yahoo-url", url, "--timeout-ms", "90000"};
  {
    process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2021-02-01", "2022-01-31",
                       yahoo),
              dir + "/first.log"};
    // Wait until the agent is inside the slow request.
    const int replay_port = url_port(url);
    REQUIRE(wait_until(
        [&] {
          return http_get(replay_port, "/__replay/stats").second.find("\"MSFT\":1") !=
                 std::string::npos;
        },
        60s));
    REQUIRE(group_members(k.agent_group) == 1);
    p.signal(SIGTERM);
    auto t0 = std::chrono::steady_clock::now();
    auto code = p.wait(30s); // the stop takes well under a second; margin for a loaded machine
    const auto stop_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    INFO(p.log());
    WARN("stop with a fetch in progress took " << stop_ms << " ms");
    // Work was abandoned: the exit code says so (not 0), and the log says which.
    CHECK(code == 3);
    CHECK(p.log().find("event=fetch_abandoned") != std::string::npos);
    CHECK(p.log().find("event=stopped_abandoning_work") != std::string::npos);
    // Every consumer closed: the dynamic members left their groups before the process ended.
    CHECK(group_members(k.agent_group) == 0);
    CHECK(group_members(k.processor_group) == 0);
  }
  CHECK(done_symbols(db) == 0);
  // Started again (the replay now answers at once), the task is planned again and completes.
  auto once = yahoo;
  once.push_back("--exit-when-idle");
  process again{
      run_args("manager=1,agent=1,processor=1", db, k, symbols, "2021-02-01", "2022-01-31", once),
      dir + "/second.log"};
  auto code = again.wait(120s);
  INFO(again.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 1);
  auto csvs = fetch_csvs(symbols, "2021-02-01", "2022-01-31", "yahoo", dir, {"--yahoo-url", url});
  require_table_equals_indicators(db, csvs, dir);
}
