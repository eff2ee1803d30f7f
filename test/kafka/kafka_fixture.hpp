// Helpers shared by the Kafka tests: librdkafka's in-process mock cluster (unit tests only),
// client configs with unique ids, a consume-until helper, and an independent murmur2.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/config.hpp"
#include "kafka/consumer.hpp"
#include "kafka/record.hpp"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace finstream::test {

/// librdkafka's in-process mock cluster (rdkafka_mock.h): real Kafka protocol over localhost
/// sockets, no broker process. It does not implement CreateTopics: topics are made with
/// create_topic(). For unit tests of the wrappers only; integration tests use the real broker.
class mock_cluster {
public:
  explicit mock_cluster(int brokers = 1);
  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  std::string bootstrap_servers() const;
  void create_topic(const std::string& name, int partitions);
  /// Disconnects every broker and refuses new connections (true) or accepts them again (false).
  void set_down(bool down);
  rd_kafka_mock_cluster_s* get() const { return cluster_; }

private:
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
};

/// A config for `bootstrap` with a unique client id and the given metrics registry.
kafka::config client_config(const std::string& bootstrap, metrics::registry* registry);

/// Polls `c` until `done(records so far)` or `timeout`; returns everything polled.
std::vector<kafka::record>
poll_until(kafka::consumer& c, const std::function<bool(const std::vector<kafka::record>&)>& done,
           std::chrono::milliseconds timeout);

/// Polls until `n` records arrived (or timeout).
std::vector<kafka::record> poll_n(kafka::consumer& c, std::size_t n,
                                  std::chrono::milliseconds timeout);

/// Kafka's Java murmur2 (org.apache.kafka.common.utils.Utils.murmur2), ported independently of
/// librdkafka, and the partition Java's default partitioner picks for a keyed record.
std::int32_t java_murmur2(std::string_view key);
std::int32_t java_partition(std::string_view key, int partitions);

} // namespace finstream::test
