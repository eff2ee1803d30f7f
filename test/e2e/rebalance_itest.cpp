// End-to-end tests of partition movements between processors: partitions taken away and given
// back while another processor advances their symbols, and partitions added to the data topic.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "engine/task_batches.hpp"
#include "harness.hpp"
#include "kafka/admin.hpp"
#include "kafka/codec.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "sources/synthetic.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

kafka::config test_kafka() {
  kafka::config kc;
  kc.bootstrap_servers = test::kafka_bootstrap();
  return kc;
}

/// Publishes the synthetic bars of `symbols` over [from, to] to the data topic as agents would,
/// in batches of `batch_bars`, the symbols interleaved; returns the number of bars.
std::size_t publish_bars(const kafka_names& k, const std::vector<std::string>& symbols,
                         const std::string& from, const std::string& to, std::size_t batch_bars) {
  synthetic_source src;
  std::vector<std::vector<bar_batch>> per_symbol;
  std::size_t bars = 0;
  for (const auto& s : symbols) {
    fetch_task t;
    t.symbol = s;
    t.from = *parse_date(from);
    t.to = *parse_date(to);
    t.task_id = s + ":test";
    per_symbol.push_back(engine::make_batches(t, src.fetch(s, t.from, t.to), batch_bars));
    for (const auto& b : per_symbol.back())
      bars += b.bars.size();
  }
  kafka::producer producer{test_kafka()};
  for (std::size_t i = 0;; ++i) {
    bool any = false;
    for (const auto& batches : per_symbol)
      if (i < batches.size()) {
        producer.produce(k.data_topic, batches[i].symbol, kafka::encode(batches[i]));
        any = true;
      }
    if (!any) break;
  }
  REQUIRE(producer.flush(30s));
  return bars;
}

long long stored_rows(const test_database& db) {
  return db.scalar("SELECT count(*) FROM technical_indicators");
}

} // namespace

TEST_CASE("rebalance: partitions moved away and back while another processor advances their "
          "symbols leave no stale state behind",
          "[e2e][rebalance]") {
  test_database db{"e2e_rebalance"};
  kafka_names k{"rebal"};
  scratch_area area{"rebalance"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(10, "M");
  const std::string from = "2006-01-01", to = "2019-12-31";
  create_topics(k, 2);
  // A backlog in small batches, so that every poll of a processor holds records of both
  // partitions when a rebalance takes one of them away.
  auto total = static_cast<long long>(publish_bars(k, symbols, from, to, 8));
  // Small, serial commits keep the first processor busy for the whole test.
  std::vector<std::string> slow{"--batch-rows", "40", "--max-inflight", "1"};
  process first{run_args("manager=0,agent=0,processor=1", db, k, symbols, from, to, slow),
                dir + "/first.log"};
  REQUIRE(wait_until([&] { return stored_rows(db) > 0; }, 60s));
  // A second processor joins (taking one partition, which then advances its symbols) and leaves
  // (giving it back) again and again while the backlog drains.
  const std::regex assigned{"event=partitions_assigned count=[1-9]"};
  int moves = 0;
  int advanced = 0; // cycles in which the second processor itself committed rows
  for (int cycle = 0; cycle < 6 && stored_rows(db) < total * 9 / 10; ++cycle) {
    process second{run_args("manager=0,agent=0,processor=1", db, k, symbols, from, to, slow),
                   dir + "/second" + std::to_string(cycle) + ".log"};
    auto port = second.metrics_port();
    REQUIRE(port);
    bool took = wait_until([&] { return std::regex_search(second.log(), assigned); }, 20s);
    if (took) {
      ++moves;
      // The symbols of the partition it took advance elsewhere (in this process) before they
      // move back. Briefly: the first processor drains the rest meanwhile, and the cycles must
      // go on while a backlog remains.
      if (wait_until([&] { return metric(*port, "finstream_pg_rows_written_total") > 0; }, 4s))
        ++advanced;
    }
    second.signal(SIGTERM);
    REQUIRE(second.wait(15s) == 0);
  }
  INFO("partition moves: " << moves << ", with rows written by the second processor: "
                           << advanced);
  CHECK(moves >= 2);
  CHECK(advanced >= 1);
  REQUIRE(wait_until([&] { return stored_rows(db) == total; }, 180s));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("partitions: partitions added to the data topic mid-run stop the run with the documented "
          "error, and the documented recovery ends exact",
          "[e2e][partitions]") {
  test_database db{"e2e_partitions"};
  kafka_names k{"parts"};
  scratch_area area{"partitions"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(20, "P");
  const std::string from = "2005-01-01", to = "2020-12-31";
  create_topics(k, 2);
  {
    process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, to),
              dir + "/first.log"};
    REQUIRE(wait_until([&] { return stored_rows(db) > 5000; }, 120s));
    kafka::admin{test_kafka()}.create_partitions(k.data_topic, 4);
    // Detected within the check interval (10 s): the process stops and says why.
    auto code = p.wait(60s);
    INFO(p.log());
    REQUIRE(code == 1);
    CHECK(p.log().find("event=partition_layout_changed") != std::string::npos);
    CHECK(p.log().find("changed from 2 (recorded in PostgreSQL") != std::string::npos);
    CHECK(p.log().find("Changing the partitions of the data topic") != std::string::npos);
  }
  // The recovery of docs/operations.md: delete the data topic (bars in transit only), forget its
  // offsets, start again; the manager plans again every task that did not complete.
  kafka::admin admin{test_kafka()};
  admin.delete_topics({k.data_topic});
  REQUIRE(wait_until([&] { return !admin.partition_count(k.data_topic); }, 30s));
  {
    auto c = db.connect();
    c.query("DELETE FROM processor_offsets WHERE consumer_group = $1 AND topic = $2",
            k.processor_group, k.data_topic);
  }
  process again{run_args("manager=1,agent=1,processor=1", db, k, symbols, from, to,
                         {"--exit-when-idle"}),
                dir + "/again.log"};
  auto code = again.wait(240s);
  INFO(again.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 20);
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
