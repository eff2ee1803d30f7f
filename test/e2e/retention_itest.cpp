// End-to-end: a retention overrun. Processors are stopped while agents publish; records they never
// read are then deleted (Kafka DeleteRecords moves the partitions' log start past the offsets
// stored in PostgreSQL, as retention does). On restart the processor must detect it (metric, log
// line naming the partitions and the gap), record a re-plan of the partitions' symbols, restart
// them from the re-fetched bars, and the table must end exact.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "harness.hpp"
#include "kafka/admin.hpp"
#include "kafka/group_lag.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// High watermark of every partition of `topic`.
std::map<std::int32_t, std::int64_t> high_watermarks(const kafka::config& kc,
                                                     const std::string& topic) {
  std::map<std::int32_t, std::int64_t> out;
  for (const auto& row : kafka::group_lag(kc, "finstream-retention-probe", topic))
    out[row.partition] = row.high;
  return out;
}

} // namespace

TEST_CASE("retention: records deleted before the processors read them are detected, and the "
          "re-planned symbols end exact",
          "[e2e][retention]") {
  test_database db{"e2e_retention"};
  kafka_names k{"retention"};
  scratch_area area{"retention"};
  auto dir = area.path();
  constexpr int partitions = 3;
  create_topics(k, partitions);
  kafka::config kc;
  kc.bootstrap_servers = test::kafka_bootstrap();
  auto all = synthetic_symbols(12);
  const std::vector<std::string> first_half(all.begin(), all.begin() + 6);
  const std::string from = "2012-01-01", to = "2020-12-31"; // ~2,350 bars: 3 batches a task
  auto flags = [&](const std::string& roles, const std::vector<std::string>& symbols,
                   std::vector<std::string> extra = {}) {
    extra.push_back("--manager-poll-ms");
    extra.push_back("200");
    // The topics exist already with `partitions` partitions: run keeps them as they are.
    return run_args(roles, db, k, symbols, from, to, extra);
  };

  // 1. Half the universe is processed: the partitions' positions are stored in PostgreSQL.
  {
    process p{flags("manager=1,agent=2,processor=1", first_half), dir + "/first.log"};
    REQUIRE(wait_until([&] { return done_symbols(db) == 6; }, 180s));
    p.signal(SIGTERM);
    REQUIRE(p.wait(60s));
  }
  std::map<std::int32_t, std::int64_t> stored;
  {
    auto c = db.connect();
    auto r = c.query("SELECT partition, COALESCE(next_offset, 0) FROM processor_offsets "
                     "WHERE consumer_group = $1 AND topic = $2",
                     k.processor_group, k.data_topic);
    for (int i = 0; i < r.rows(); ++i)
      stored[static_cast<std::int32_t>(r.int64(i, 0))] = r.int64(i, 1);
  }
  REQUIRE(stored.size() == static_cast<std::size_t>(partitions));

  // 2. No processor runs: the other half is fetched and published, unread.
  {
    process p{flags("manager=1,agent=2,processor=0", all, {"--log-level", "debug"}),
              dir + "/publish.log"};
    REQUIRE(wait_until([&] { return count(p.log(), "event=fetched") >= 6; }, 120s));
    // Published and acknowledged before an agent commits its task: the watermarks stop moving.
    std::map<std::int32_t, std::int64_t> before;
    REQUIRE(wait_until(
        [&] {
          auto now = high_watermarks(kc, k.data_topic);
          bool stable = now == before;
          before = now;
          std::this_thread::sleep_for(1s);
          return stable;
        },
        60s));
    p.signal(SIGTERM);
    REQUIRE(p.wait(60s));
  }

  // 3. "Retention" deletes the first half of each partition's unread records.
  auto high = high_watermarks(kc, k.data_topic);
  kafka::offset_map cut;
  std::int64_t lost = 0;
  for (const auto& [partition, next] : stored) {
    auto unread = high.at(partition) - next;
    if (unread < 2) continue;
    cut[{k.data_topic, partition}] = next + unread / 2;
    lost += unread / 2;
  }
  INFO("stored " << stored.size() << " partitions, cut " << cut.size() << ", lost " << lost);
  REQUIRE(!cut.empty());
  kafka::admin{kc}.delete_records(cut);

  // 4. Processors come back (with an agent and the manager; a short task deadline so that the
  //    tasks whose every record was deleted are planned again soon).
  process p{flags("manager=1,agent=2,processor=1", all, {"--task-deadline-ms", "5000"}),
            dir + "/after.log"};
  auto port = p.metrics_port();
  REQUIRE(port);
  REQUIRE(wait_until(
      [&] {
        return metric(*port, "finstream_retention_overruns_total") ==
               static_cast<long long>(cut.size());
      },
      60s));
  CHECK(metric(*port, "finstream_retention_lost_offsets_total") == lost);
  // Counted before logged: wait for the lines too.
  REQUIRE(wait_until([&] { return count(p.log(), "event=retention_overrun") == cut.size(); }, 10s));
  auto log = p.log();
  for (const auto& [tp, offset] : cut) {
    INFO("partition " << tp.partition);
    CHECK(log.find("event=retention_overrun topic=" + k.data_topic + " partition=" +
                   std::to_string(tp.partition) + " stored_offset=" +
                   std::to_string(stored.at(tp.partition)) + " log_start=" +
                   std::to_string(offset)) != std::string::npos);
  }
  // The re-plan names every known symbol of the partitions concerned, and only those.
  std::set<std::string> expected;
  for (const auto& s : all)
    if (cut.count({k.data_topic, kafka::partition_of(s, partitions)})) expected.insert(s);
  REQUIRE(!expected.empty());
  // What the overruns recorded, from their log lines: the requests' rows change as the manager
  // plans them (a request keeps only the symbols still waiting), so reading them would race it.
  std::size_t replanned = 0;
  {
    const std::regex line{"event=retention_overrun [^\n]* replanned_symbols=([0-9]+)"};
    for (auto it = std::sregex_iterator(log.begin(), log.end(), line);
         it != std::sregex_iterator(); ++it)
      replanned += std::stoul((*it)[1].str());
  }
  CHECK(replanned == expected.size());

  // Everything ends done: the re-plan taken, every restart done, every symbol's task complete.
  REQUIRE(wait_until(
      [&] {
        return done_symbols(db) == 12 &&
               db.scalar("SELECT count(*) FROM backfill_requests WHERE taken_at IS NULL") == 0 &&
               db.scalar("SELECT count(*) FROM processor_resyncs") == 0 &&
               db.scalar("SELECT count(*) FROM symbol_state WHERE status <> 'done'") == 0;
      },
      300s));
  CHECK(count(p.log(), "event=resync_restart") >= expected.size());
  auto csvs = fetch_csvs(all, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
