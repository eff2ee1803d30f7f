// Producer tests on librdkafka's mock cluster: partitioning, delivery tracking, backpressure,
// failed deliveries.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "kafka/error.hpp"
#include "kafka/kafka_fixture.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

TEST_CASE("keyed messages land on the partition Java's default partitioner picks") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string topic = test::unique_name("keyed");
  cluster.create_topic(topic, 30);
  config c = test::client_config(cluster.bootstrap_servers(), &reg);

  std::vector<std::string> symbols;
  for (int i = 0; i < 60; ++i)
    symbols.push_back("SYM" + std::to_string(i * 7919));
  symbols.push_back("AAPL");
  symbols.push_back("BRK-B");
  symbols.push_back("^GSPC");
  {
    // Two producer instances (as in two processes) write every key.
    producer a{c};
    producer b{c};
    auto ta = std::make_shared<delivery_tracker>();
    auto tb = std::make_shared<delivery_tracker>();
    for (const auto& s : symbols) {
      a.produce(topic, s, "from-a", {}, ta);
      b.produce(topic, s, "from-b", {}, tb);
    }
    REQUIRE(a.wait(*ta, 10s));
    REQUIRE(b.wait(*tb, 10s));
    CHECK(ta->delivered() == symbols.size());
  }
  consumer k{c, test::unique_name("g")};
  k.subscribe({topic});
  auto records = test::poll_n(k, 2 * symbols.size(), 30s);
  REQUIRE(records.size() == 2 * symbols.size());
  std::map<std::string, std::set<int>> partitions_of;
  for (const auto& r : records) {
    partitions_of[r.key].insert(r.partition);
    CHECK(r.partition == test::java_partition(r.key, 30));
    CHECK(r.partition == partition_of(r.key, 30)); // what the processors compute
  }
  std::set<int> used;
  for (const auto& [key, ps] : partitions_of) {
    CHECK(ps.size() == 1); // both producers agree
    used.insert(*ps.begin());
  }
  CHECK(used.size() > 15); // and the keys spread over the partitions
}

TEST_CASE("a tracker that keeps positions reports where each message was stored") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string topic = test::unique_name("positions");
  cluster.create_topic(topic, 4);
  config c = test::client_config(cluster.bootstrap_servers(), &reg);
  producer p{c};
  auto kept = std::make_shared<delivery_tracker>(true);
  auto plain = std::make_shared<delivery_tracker>();
  for (int i = 0; i < 40; ++i)
    p.produce(topic, "K" + std::to_string(i), "v" + std::to_string(i), {}, kept);
  p.produce(topic, "K0", "other", {}, plain);
  REQUIRE(p.wait(*kept, 10s));
  REQUIRE(p.wait(*plain, 10s));
  CHECK(plain->positions().empty());
  auto positions = kept->positions();
  REQUIRE(positions.size() == 40);
  // What a consumer reads back at each reported position is the message produced with that key.
  consumer k{c, test::unique_name("g")};
  k.subscribe({topic});
  auto records = test::poll_n(k, 41, 30s);
  REQUIRE(records.size() == 41);
  std::map<std::pair<int, std::int64_t>, std::string> value_at;
  for (const auto& r : records)
    value_at[{r.partition, r.offset}] = r.key + "=" + r.value;
  std::set<std::string> keys;
  for (const auto& pos : positions) {
    INFO(pos.key << " at " << pos.partition << ":" << pos.offset);
    CHECK(pos.partition == test::java_partition(pos.key, 4));
    CHECK(value_at[{pos.partition, pos.offset}] == pos.key + "=v" + pos.key.substr(1));
    keys.insert(pos.key);
  }
  CHECK(keys.size() == 40);
}

TEST_CASE("a tracker waits for exactly its own messages") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string topic = test::unique_name("tracked");
  cluster.create_topic(topic, 3);
  producer p{test::client_config(cluster.bootstrap_servers(), &reg)};
  auto first = std::make_shared<delivery_tracker>();
  auto second = std::make_shared<delivery_tracker>();
  for (int i = 0; i < 100; ++i)
    p.produce(topic, "K" + std::to_string(i), "v", {{"h", "1"}}, first);
  for (int i = 0; i < 50; ++i)
    p.produce(topic, "K" + std::to_string(i), "w", {}, second);
  CHECK(second->pending() + second->delivered() == 50);
  REQUIRE(p.wait(*second, 10s));
  CHECK(second->delivered() == 50);
  CHECK(second->failed() == 0);
  CHECK(second->first_error().empty());
  REQUIRE(p.wait(*first, 10s));
  CHECK(first->delivered() == 100);
  REQUIRE(p.flush(5s));
  auto s = p.stats();
  CHECK(s.produced == 150);
  CHECK(s.delivered == 150);
  CHECK(s.in_flight == 0);
  CHECK(reg.counter("finstream_kafka_delivered_messages_total", "", {{"client", p.client_id()}})
            .value() == 150);
}

TEST_CASE("a full local queue makes produce wait instead of failing") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string topic = test::unique_name("backpressure");
  cluster.create_topic(topic, 2);
  config c = test::client_config(cluster.bootstrap_servers(), &reg);
  c.producer_extra = {{"queue.buffering.max.messages", "10"}, {"linger.ms", "20"}};
  producer p{c};
  auto t = std::make_shared<delivery_tracker>();
  const std::string value(1000, 'x');
  for (int i = 0; i < 2000; ++i)
    p.produce(topic, "K" + std::to_string(i % 17), value, {}, t);
  REQUIRE(p.wait(*t, 30s));
  CHECK(t->delivered() == 2000);
  auto s = p.stats();
  CHECK(s.queue_full_waits > 0);
  CHECK(s.delivered == 2000);
}

TEST_CASE("when the brokers are down, produce blocks up to its limit and deliveries fail") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string topic = test::unique_name("down");
  cluster.create_topic(topic, 1);
  config c = test::client_config(cluster.bootstrap_servers(), &reg);
  c.producer_extra = {{"queue.buffering.max.messages", "5"}, {"message.timeout.ms", "1500"}};
  c.produce_block_timeout = 300ms;
  producer p{c};
  // Connect first, so the topic's metadata is known, then take the cluster down.
  auto warm = std::make_shared<delivery_tracker>();
  p.produce(topic, "A", "warm-up", {}, warm);
  REQUIRE(p.wait(*warm, 10s));
  cluster.set_down(true);

  auto t = std::make_shared<delivery_tracker>();
  for (int i = 0; i < 5; ++i)
    p.produce(topic, "A", "lost", {}, t);
  try {
    p.produce(topic, "A", "one too many", {}, t);
    FAIL("expected produce to give up on a full queue");
  } catch (const error& e) {
    CHECK(std::string{e.what()}.find("queue still full") != std::string::npos);
    CHECK_FALSE(e.fatal());
  }
  CHECK(t->pending() == 5); // the refused message is not counted

  CHECK_FALSE(p.wait(*t, 10s));
  CHECK(t->pending() == 0);
  CHECK(t->failed() == 5);
  CHECK(t->first_error().find("_MSG_TIMED_OUT") != std::string::npos);
  CHECK(p.stats().failed == 5);
  cluster.set_down(false);
}
