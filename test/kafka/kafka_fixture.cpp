// Helpers shared by the Kafka tests (see kafka_fixture.hpp).
#include "kafka/kafka_fixture.hpp"

#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "support/env.hpp"

namespace finstream::test {

mock_cluster::mock_cluster(int brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk_) throw std::runtime_error(std::string{"mock cluster handle: "} + errstr);
  cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (!cluster_) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("cannot create librdkafka mock cluster");
  }
}

mock_cluster::~mock_cluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(rk_);
}

std::string mock_cluster::bootstrap_servers() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

void mock_cluster::create_topic(const std::string& name, int partitions) {
  if (rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1) !=
      RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error("mock cluster: cannot create topic " + name);
}

void mock_cluster::set_down(bool down) {
  if (down)
    rd_kafka_mock_broker_set_down(cluster_, -1);
  else
    rd_kafka_mock_broker_set_up(cluster_, -1);
}

kafka::config client_config(const std::string& bootstrap, metrics::registry* registry) {
  kafka::config c;
  c.bootstrap_servers = bootstrap;
  c.client_id = unique_name("test");
  c.registry = registry;
  return c;
}

std::vector<kafka::record>
poll_until(kafka::consumer& c, const std::function<bool(const std::vector<kafka::record>&)>& done,
           std::chrono::milliseconds timeout) {
  std::vector<kafka::record> all;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(all) && std::chrono::steady_clock::now() < deadline) {
    for (auto& r : c.poll(500, std::chrono::milliseconds{100}))
      all.push_back(std::move(r));
  }
  return all;
}

std::vector<kafka::record> poll_n(kafka::consumer& c, std::size_t n,
                                  std::chrono::milliseconds timeout) {
  return poll_until(
      c, [n](const std::vector<kafka::record>& rs) { return rs.size() >= n; }, timeout);
}

std::int32_t java_murmur2(std::string_view key) {
  // Port of org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c), 32-bit arithmetic.
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::uint32_t length = static_cast<std::uint32_t>(key.size());
  const std::uint32_t seed = 0x9747b28cU;
  const std::uint32_t m = 0x5bd1e995U;
  const int r = 24;
  std::uint32_t h = seed ^ length;
  const std::uint32_t length4 = length / 4;
  for (std::uint32_t i = 0; i < length4; i++) {
    const std::uint32_t i4 = i * 4;
    std::uint32_t k = (data[i4 + 0] & 0xffU) + ((data[i4 + 1] & 0xffU) << 8) +
                      ((data[i4 + 2] & 0xffU) << 16) + ((data[i4 + 3] & 0xffU) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (length % 4) {
  case 3:
    h ^= (data[(length & ~3U) + 2] & 0xffU) << 16;
    [[fallthrough]];
  case 2:
    h ^= (data[(length & ~3U) + 1] & 0xffU) << 8;
    [[fallthrough]];
  case 1:
    h ^= (data[length & ~3U] & 0xffU);
    h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t java_partition(std::string_view key, int partitions) {
  // Java: Utils.toPositive(murmur2(keyBytes)) % numPartitions; toPositive = x & 0x7fffffff.
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(java_murmur2(key)) & 0x7fffffffU) %
                                   static_cast<std::uint32_t>(partitions));
}

} // namespace finstream::test
