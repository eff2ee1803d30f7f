// Consumer tests on librdkafka's mock cluster: start offsets from the listener, pause/resume,
// commits, lag, listener failures. Group rebalancing between members is tested on the real
// broker (consumer_itest.cpp).
#include <catch2/catch.hpp>

#include <map>

#include <stdexcept>

#include "kafka/consumer.hpp"
#include "kafka/error.hpp"
#include "kafka/kafka_fixture.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

namespace {

/// Writes `n` messages to each partition of `topic` (values "p<partition>-<i>"), with a key
/// chosen so that the murmur2 partitioner puts it on that partition.
void fill(const config& c, const std::string& topic, int partitions, int n) {
  producer p{c};
  auto t = std::make_shared<delivery_tracker>();
  for (int part = 0; part < partitions; ++part) {
    std::string key;
    for (int k = 0;; ++k) {
      key = "K" + std::to_string(k);
      if (test::java_partition(key, partitions) == part) break;
    }
    for (int i = 0; i < n; ++i)
      p.produce(topic, key, "p" + std::to_string(part) + "-" + std::to_string(i), {}, t);
  }
  REQUIRE(p.wait(*t, 10s));
}

struct start_at : rebalance_listener {
  offset_map starts;
  std::vector<topic_partition> assigned, revoked;
  offset_map on_assigned(const std::vector<topic_partition>& ps) override {
    assigned.insert(assigned.end(), ps.begin(), ps.end());
    return starts;
  }
  void on_revoked(const std::vector<topic_partition>& ps, bool) override {
    revoked.insert(revoked.end(), ps.begin(), ps.end());
  }
};

struct mock_setup {
  metrics::registry reg;
  test::mock_cluster cluster;
  std::string topic = test::unique_name("t");
  config c;
  explicit mock_setup(int partitions, int per_partition) {
    cluster.create_topic(topic, partitions);
    c = test::client_config(cluster.bootstrap_servers(), &reg);
    fill(c, topic, partitions, per_partition);
  }
};

} // namespace

TEST_CASE("partitions start at the offsets on_assigned returns, others at the committed one") {
  mock_setup m(2, 10);
  start_at listener;
  listener.starts[{m.topic, 0}] = 6;
  consumer k{m.c, test::unique_name("g"), &listener};
  k.subscribe({m.topic});
  auto rs = test::poll_n(k, 14, 20s);
  REQUIRE(rs.size() == 14);
  CHECK(listener.assigned.size() == 2);
  std::map<int, std::vector<std::int64_t>> offsets;
  for (const auto& r : rs) {
    offsets[r.partition].push_back(r.offset);
    CHECK(r.value == "p" + std::to_string(r.partition) + "-" + std::to_string(r.offset));
    CHECK(r.timestamp_ms > 0);
  }
  CHECK(offsets[0] == std::vector<std::int64_t>{6, 7, 8, 9});
  CHECK(offsets[1].size() == 10);
  CHECK(offsets[1].front() == 0);
  k.close();
  CHECK(listener.revoked.size() == 2); // close() revokes through the listener
}

TEST_CASE("paused partitions deliver nothing while poll goes on, resume continues in order") {
  mock_setup m(2, 20);
  consumer k{m.c, test::unique_name("g")};
  k.subscribe({m.topic});
  k.pause({{m.topic, 1}}); // before assignment: remembered and applied when assigned
  auto first = test::poll_n(k, 20, 20s);
  REQUIRE(first.size() == 20);
  for (const auto& r : first)
    CHECK(r.partition == 0);
  CHECK(k.poll(100, 1s).empty());
  CHECK(k.paused() == std::set<topic_partition>{{m.topic, 1}});

  k.resume({{m.topic, 1}});
  auto second = test::poll_n(k, 20, 20s);
  REQUIRE(second.size() == 20);
  for (std::size_t i = 0; i < second.size(); ++i) {
    CHECK(second[i].partition == 1);
    CHECK(second[i].offset == static_cast<std::int64_t>(i));
  }
  CHECK(k.paused().empty());

  // pause_all also covers partitions assigned later (none here) and stops everything now.
  k.seek({m.topic, 0}, 0);
  k.pause_all();
  CHECK(k.paused().size() == 2);
  CHECK(k.poll(100, 1s).empty());
  k.resume_all();
  CHECK(test::poll_n(k, 20, 20s).size() == 20);
}

TEST_CASE("a partition paused before its assignment delivers nothing even when the pause comes "
          "late, and resumes at its first record") {
  // The window between an assignment and its pauses, in which librdkafka already fetches, made
  // wide (as a loaded machine makes it): poll() must still return nothing of the paused partition
  // and, once resumed, every record of it in order.
  using namespace std::chrono_literals;
  for (auto delay : {0ms, 300ms, 1000ms}) {
    INFO("pause applied " << delay.count() << " ms after the assignment");
    mock_setup m(2, 20);
    consumer k{m.c, test::unique_name("g")};
    k.delay_pauses_for_tests(delay);
    k.subscribe({m.topic});
    k.pause({{m.topic, 1}});
    auto first = test::poll_n(k, 20, 20s);
    REQUIRE(first.size() == 20);
    for (const auto& r : first)
      CHECK(r.partition == 0);
    CHECK(k.poll(100, 1s).empty());
    k.resume({{m.topic, 1}});
    auto second = test::poll_n(k, 20, 20s);
    REQUIRE(second.size() == 20);
    for (std::size_t i = 0; i < second.size(); ++i) {
      CHECK(second[i].partition == 1);
      CHECK(second[i].offset == static_cast<std::int64_t>(i));
    }
    CHECK(k.poll(100, 500ms).empty());
  }
}

TEST_CASE("after pause_all, poll returns nothing of any partition, and resume_all continues each "
          "one in order after the last record returned") {
  // What a processor's pause loop relies on: records polled after pause_all() can never be later
  // than an unhandled tail of the same partition (they are not delivered at all).
  using namespace std::chrono_literals;
  mock_setup m(2, 50);
  consumer k{m.c, test::unique_name("g")};
  k.subscribe({m.topic});
  auto head = k.poll(5, 20s);
  REQUIRE(!head.empty());
  std::map<std::int32_t, std::int64_t> next{{0, 0}, {1, 0}};
  for (const auto& r : head) {
    CHECK(r.offset == next[r.partition]);
    next[r.partition] = r.offset + 1;
  }
  k.pause_all();
  for (int i = 0; i < 5; ++i)
    CHECK(k.poll(100, 200ms).empty());
  k.resume_all();
  auto rest = test::poll_n(k, 100 - head.size(), 20s);
  REQUIRE(rest.size() == 100 - head.size());
  for (const auto& r : rest) {
    INFO("partition " << r.partition);
    CHECK(r.offset == next[r.partition]);
    next[r.partition] = r.offset + 1;
  }
  CHECK(next[0] == 50);
  CHECK(next[1] == 50);
}

TEST_CASE("pause drops what was fetched, resume continues after the last record returned") {
  mock_setup m(1, 100);
  consumer k{m.c, test::unique_name("g")};
  k.subscribe({m.topic});
  auto first = k.poll(1, 20s);
  REQUIRE(first.size() == 1);
  CHECK(first[0].offset == 0);
  CHECK(k.lag()[0].high_watermark == 100); // the rest has been fetched meanwhile
  k.pause({{m.topic, 0}});
  CHECK(k.poll(100, 1s).empty());
  k.resume({{m.topic, 0}});
  auto rest = test::poll_n(k, 99, 20s);
  REQUIRE(rest.size() == 99);
  for (std::size_t i = 0; i < rest.size(); ++i)
    CHECK(rest[i].offset == static_cast<std::int64_t>(i + 1));
  // Resuming a partition that is not paused changes nothing (no re-delivery).
  k.resume({{m.topic, 0}});
  k.resume_all();
  CHECK(k.poll(100, 1s).empty());
}

TEST_CASE("commits are visible as committed offsets, lag is high watermark minus position") {
  mock_setup m(1, 30);
  const std::string group = test::unique_name("g");
  {
    consumer k{m.c, group};
    k.subscribe({m.topic});
    auto rs = test::poll_n(k, 30, 20s);
    REQUIRE(rs.size() == 30);
    auto lag = k.lag();
    REQUIRE(lag.size() == 1);
    CHECK(lag[0].position == 30);
    CHECK(lag[0].high_watermark == 30);
    CHECK(lag[0].lag == 0);
    k.seek({m.topic, 0}, 12);
    // librdkafka 2.0.2: position() is unknown (-1001) after a seek until a record is consumed.
    auto one = k.poll(1, 10s);
    REQUIRE(one.size() == 1);
    CHECK(one[0].offset == 12);
    CHECK(k.position()[{m.topic, 0}] == 13);
    lag = k.lag(5s);
    CHECK(lag[0].lag == 17);

    k.commit_async({{{m.topic, 0}, 12}});
    for (int i = 0; i < 50 && k.stats().commits_ok == 0; ++i)
      k.poll(1, 100ms); // serves the commit result
    CHECK(k.stats().commits_ok == 1);
    CHECK(k.committed({{m.topic, 0}})[{m.topic, 0}] == 12);
    k.commit_sync({{{m.topic, 0}, 20}});
    CHECK(k.committed({{m.topic, 0}})[{m.topic, 0}] == 20);
    CHECK_THROWS_AS(k.committed({{m.topic, 1}}), error); // no such partition
  }
  // A new member of the group resumes at the committed offset.
  consumer again{m.c, group};
  again.subscribe({m.topic});
  auto rs = test::poll_n(again, 10, 20s);
  REQUIRE(rs.size() == 10);
  CHECK(rs.front().offset == 20);
}

TEST_CASE("an exception from on_assigned comes out of poll and the partitions stay paused") {
  mock_setup m(2, 5);
  struct failing : rebalance_listener {
    offset_map on_assigned(const std::vector<topic_partition>&) override {
      throw std::runtime_error("cannot read offsets from PostgreSQL");
    }
  } listener;
  consumer k{m.c, test::unique_name("g"), &listener};
  k.subscribe({m.topic});
  bool thrown = false;
  std::vector<record> got;
  for (int i = 0; i < 100 && !thrown; ++i) {
    try {
      auto rs = k.poll(10, 100ms);
      got.insert(got.end(), rs.begin(), rs.end());
    } catch (const std::runtime_error& e) {
      thrown = true;
      CHECK(std::string{e.what()} == "cannot read offsets from PostgreSQL");
    }
  }
  REQUIRE(thrown);
  CHECK(got.empty());
  CHECK(k.paused().size() == 2);
  CHECK(k.poll(10, 500ms).empty());
  // Their start offsets are unknown: resuming cannot let them run.
  k.resume_all();
  CHECK(k.paused().size() == 2);
  CHECK(k.poll(10, 500ms).empty());
}
