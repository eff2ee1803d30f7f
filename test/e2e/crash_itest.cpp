// End-to-end failure scenarios on the real broker and PostgreSQL: processes SIGKILLed in the middle
// of a backfill, poison messages on both topics, backlogs of two sizes in the same bounded memory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <regex>

#include "harness.hpp"
#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("crash: a processor process SIGKILLed mid-backfill and restarted loses and duplicates "
          "nothing",
          "[e2e][crash]") {
  test_database db{"e2e_crash_p"};
  kafka_names k{"crashp"};
  scratch_area area{"crash_processor"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(60);
  const std::string from = "2005-01-01", to = "2020-12-31"; // ~250,000 bars
  process feeder{run_args("manager=1,agent=2,processor=0", db, k, symbols, from, to),
                 dir + "/feeder.log"};
  auto victim = std::make_unique<process>(
      run_args("manager=0,agent=0,processor=2", db, k, symbols, from, to), dir + "/victim.log");
  // Kill it once it has committed part of the work, not all of it.
  REQUIRE(wait_until([&] { return db.scalar("SELECT count(*) FROM technical_indicators") > 20000; },
                     180s));
  victim->signal(SIGKILL);
  REQUIRE(victim->wait(10s));
  auto rows_at_kill = db.scalar("SELECT count(*) FROM technical_indicators");
  auto done_at_kill = done_symbols(db);
  INFO("rows at kill " << rows_at_kill << ", symbols done " << done_at_kill);
  CHECK(done_at_kill < 60);
  process restarted{run_args("manager=0,agent=0,processor=2", db, k, symbols, from, to),
                    dir + "/restarted.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 60; }, 240s));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("crash: an agent process SIGKILLed mid-backfill and restarted loses and duplicates "
          "nothing",
          "[e2e][crash]") {
  test_database db{"e2e_crash_a"};
  kafka_names k{"crasha"};
  scratch_area area{"crash_agent"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(200);
  const std::string from = "2010-01-01", to = "2020-12-31";
  process core{run_args("manager=1,agent=0,processor=2", db, k, symbols, from, to),
               dir + "/core.log"};
  auto victim = std::make_unique<process>(
      run_args("manager=0,agent=1,processor=0", db, k, symbols, from, to, {"--log-level", "debug"}),
      dir + "/victim.log");
  // Kill the agent after a few of its 200 tasks, between fetching and committing others.
  REQUIRE(wait_until([&] { return count(victim->log(), "event=fetched") >= 10; }, 120s));
  victim->signal(SIGKILL);
  REQUIRE(victim->wait(10s));
  auto fetched_at_kill = count(victim->log(), "event=fetched");
  INFO("tasks fetched before the kill: " << fetched_at_kill);
  CHECK(fetched_at_kill < 200);
  process restarted{run_args("manager=0,agent=1,processor=0", db, k, symbols, from, to),
                    dir + "/restarted.log"};
  REQUIRE(wait_until([&] { return done_symbols(db) == 200; }, 240s));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

TEST_CASE("poison: malformed messages on either topic land in the dead-letter topics and the "
          "pipeline goes on",
          "[e2e][poison]") {
  test_database db{"e2e_poison"};
  kafka_names k{"poison"};
  scratch_area area{"poison"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(5);
  kafka::config kc;
  kc.bootstrap_servers = test::kafka_bootstrap();
  {
    // Topics exist before the pipeline starts so that the poison is the first thing it reads.
    create_topics(k);
    kafka::producer producer{kc};
    producer.produce(k.task_topic, "S000", "{\"v\":1,\"symbol\":");           // truncated JSON
    producer.produce(k.data_topic, "S001", "not json at all");                // garbage
    producer.produce(k.data_topic, "S002", "{\"v\":99,\"symbol\":\"S002\"}"); // unknown version
    REQUIRE(producer.flush(10s));
  }
  process p{run_args("manager=1,agent=1,processor=1", db, k, symbols, "2018-01-01", "2020-12-31",
                     {"--exit-when-idle"}),
            dir + "/run.log"};
  auto code = p.wait(180s);
  INFO(p.log());
  REQUIRE(code == 0);
  CHECK(done_symbols(db) == 5);
  // Read both dead-letter topics back.
  kafka::consumer c{kc, test::unique_name("dlq_reader")};
  c.subscribe({k.task_topic + ".dlq", k.data_topic + ".dlq"});
  std::vector<kafka::record> dead;
  wait_until(
      [&] {
        for (auto& r : c.poll(10, 200ms))
          dead.push_back(std::move(r));
        return dead.size() >= 3;
      },
      30s);
  REQUIRE(dead.size() == 3);
  std::set<std::string> origins;
  for (const auto& r : dead) {
    auto reason = kafka::find_header(r.headers, "finstream.dlq.reason");
    REQUIRE(reason != nullptr);
    CHECK_FALSE(reason->empty());
    origins.insert(*kafka::find_header(r.headers, "finstream.dlq.origin.topic"));
  }
  CHECK(origins == std::set<std::string>{k.task_topic, k.data_topic});
  auto csvs = fetch_csvs(symbols, "2018-01-01", "2020-12-31", "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}

namespace {

struct drain_outcome {
  long peak_kib = 0;     // the processor process's peak resident set (VmHWM)
  long long peak_cached = 0; // finstream_processor_cached_symbols, highest value scraped
  long long rows = 0;    // rows it stored
  double seconds = 0;    // time to drain the backlog
};

/// Builds a backlog of `symbols_n` synthetic symbols × [from, 2020-12-31] in Kafka with no
/// processor running, then drains it with one processor process (`env`: its settings); returns
/// that process's peak RSS.
drain_outcome drain_backlog(const std::string& name, int symbols_n, const std::string& from,
                            std::vector<std::pair<std::string, std::string>> env = {}) {
  test_database db{"e2e_memory_" + name};
  kafka_names k{"memory_" + name};
  scratch_area area{"memory_" + name};
  auto dir = area.path();
  auto symbols = synthetic_symbols(symbols_n);
  const std::string to = "2020-12-31";
  {
    process feeder{run_args("manager=1,agent=2,processor=0", db, k, symbols, from, to),
                   dir + "/feeder.log"};
    auto port = feeder.metrics_port();
    REQUIRE(port);
    REQUIRE(wait_until(
        [&] { return metric(*port, "finstream_tasks_fetched_total") >= symbols_n; }, 300s));
    feeder.signal(SIGTERM);
    REQUIRE(feeder.wait(30s) == 0);
  }
  REQUIRE(db.scalar("SELECT count(*) FROM technical_indicators") == 0);
  process drain{run_args("manager=0,agent=0,processor=1", db, k, symbols, from, to),
                dir + "/drain.log", std::move(env)};
  const auto t0 = std::chrono::steady_clock::now();
  drain_outcome out;
  const auto port = drain.metrics_port();
  REQUIRE(port);
  bool done = wait_until(
      [&] {
        out.peak_kib = std::max(out.peak_kib, drain.peak_rss_kib());
        out.peak_cached =
            std::max(out.peak_cached, metric(*port, "finstream_processor_cached_symbols"));
        return done_symbols(db) == symbols_n;
      },
      300s);
  out.peak_kib = std::max(out.peak_kib, drain.peak_rss_kib());
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.rows = db.scalar("SELECT count(*) FROM technical_indicators");
  INFO(drain.log());
  REQUIRE(done);
  return out;
}

} // namespace

TEST_CASE("memory: the processor's peak RSS does not grow with the backlog (0.5 M vs 2 M bars)",
          "[e2e][memory]") {
  // Bounded memory means the peak is the same whatever the backlog: librdkafka's pre-fetch queue
  // is capped, batches are bounded, and the partitions pause while commits are behind. A backlog
  // 4 times deeper (same universe, 4 times the history) must not move the peak by 20 %.
  const auto small = drain_backlog("small", 200, "2011-01-01"); // 200 × ~2,610 ≈ 0.5 M bars
  const auto large = drain_backlog("large", 200, "1982-01-01"); // 200 × ~10,180 ≈ 2.0 M bars
  WARN("memory test: " << small.rows << " bars drained in " << small.seconds
                       << " s with a peak RSS of " << small.peak_kib / 1024 << " MiB; "
                       << large.rows << " bars in " << large.seconds << " s with "
                       << large.peak_kib / 1024 << " MiB");
  CHECK(small.rows >= 450'000);
  CHECK(large.rows >= 1'800'000);
  REQUIRE(small.peak_kib > 0);
  const double growth =
      static_cast<double>(large.peak_kib - small.peak_kib) / static_cast<double>(small.peak_kib);
  INFO("peak RSS growth from the small to the large backlog: " << growth * 100 << " %");
  CHECK(std::abs(growth) < 0.20);
  // And an absolute bound, as a regression guard. AddressSanitizer's shadow memory and
  // quarantine are not the program's: the sanitizer build has its own allowance.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long bound_kib = 800 * 1024;
#else
  constexpr long bound_kib = 200 * 1024;
#endif
  CHECK(large.peak_kib < bound_kib);
}

TEST_CASE("memory: with a universe larger than the symbol cache, the peak RSS does not grow with "
          "the universe (400 vs 2,000 symbols, 40 cached)",
          "[e2e][memory]") {
  // processor.max_cached_symbols bounds the states kept while the backlog drains (commits are in
  // flight nearly all the time then): 5 times the symbols must not move the peak by 20 %. The
  // same backlog in both, so that only the universe differs: 2.6 million bars, mostly in batches
  // of 1,000 (400 symbols × 25 years, 2,000 × 5 years).
  const std::vector<std::pair<std::string, std::string>> env{
      {"FINSTREAM_PROCESSOR_MAX_CACHED_SYMBOLS", "40"}};
  const auto small = drain_backlog("few", 400, "1996-01-01", env);
  const auto large = drain_backlog("many", 2000, "2016-01-01", env);
  WARN("memory test (40 cached symbols): " << small.rows << " bars of 400 symbols drained in "
                                           << small.seconds << " s with a peak RSS of "
                                           << small.peak_kib / 1024 << " MiB; " << large.rows
                                           << " bars of 2,000 symbols in " << large.seconds
                                           << " s with " << large.peak_kib / 1024 << " MiB");
  CHECK(small.rows >= 400 * 6500);
  CHECK(large.rows >= 2000 * 1300);
  // Beyond the 40, only the symbols of the batches pending and in flight (3 × 5,000 rows, a
  // symbol's batch has at least 305 bars) may stay.
  INFO("symbol states in memory at most: " << small.peak_cached << " and " << large.peak_cached);
  CHECK(large.peak_cached > 0);
  CHECK(large.peak_cached <= 40 + 3 * (5000 / 305 + 1));
  REQUIRE(small.peak_kib > 0);
  const double growth =
      static_cast<double>(large.peak_kib - small.peak_kib) / static_cast<double>(small.peak_kib);
  INFO("peak RSS growth from 400 to 2,000 symbols: " << growth * 100 << " %");
  CHECK(std::abs(growth) < 0.20);
}
