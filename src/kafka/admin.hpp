// Topic administration: make sure finstream's topics exist (created when missing) before clients
// produce to or subscribe to them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kafka/config.hpp"
#include "kafka/record.hpp"

namespace finstream::kafka {

/// A topic finstream needs. replication_factor -1 = the broker's default.replication.factor
/// (Kafka >= 2.4). `configs` are topic-level configs (e.g. retention.ms) used only at creation.
struct topic_spec {
  std::string name;
  int partitions = 30;
  int replication_factor = -1;
  properties configs;
};

/// What ensure_topics found: the partition count in the cluster's metadata (which may differ from
/// the spec when the topic already existed) and whether this call created it.
struct topic_info {
  std::string name;
  int partitions = 0;
  bool created = false;
};

/// A small admin client. librdkafka's C++ API has no admin operations, so this owns a C++ handle
/// (RdKafka::Producer, which never produces) and calls the C Admin API (rd_kafka_CreateTopics)
/// on its c_ptr(). The handle has allow.auto.create.topics=false, so metadata lookups never create
/// a topic by accident on brokers with auto.create.topics.enable=true. Thread-safe.
class admin {
public:
  explicit admin(const config& c);
  ~admin();
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;

  /// Creates the topics that are missing and waits until the metadata shows every topic with all
  /// its partitions led. Idempotent and safe to run concurrently from several processes: a topic
  /// that exists already (TOPIC_ALREADY_EXISTS, also when another replica created it a moment
  /// ago) is accepted as it is; a partition count different from the spec is logged, not
  /// changed. Throws kafka::error on any other failure (naming the topic) or when `timeout` passes.
  std::vector<topic_info> ensure_topics(const std::vector<topic_spec>& specs,
                                        std::chrono::milliseconds timeout = std::chrono::seconds{
                                            30});

  /// Partition count of `topic` per the cluster's metadata, nullopt when the topic does not exist.
  /// Throws kafka::error when the cluster cannot be reached within `timeout`.
  std::optional<int> partition_count(const std::string& topic,
                                     std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Deletes `topics` (scratch topics of benchmarks and tests). A topic that does not exist is not
  /// an error. Throws kafka::error on any other failure or when `timeout` passes.
  void delete_topics(const std::vector<std::string>& topics,
                     std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// Raises the partition count of `topic` to `total` (Kafka cannot lower it). Symbols keyed to
  /// the topic move between partitions: see docs/operations.md before doing this to a topic in
  /// use. Throws kafka::error on failure or when `timeout` passes.
  void create_partitions(const std::string& topic, int total,
                         std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// The log start offset (low watermark: the first offset retention or DeleteRecords left) of
  /// each of `partitions` of `topic`, queried from the partitions' leaders (asked again while a
  /// partition's leadership settles). Throws kafka::error when one cannot be read within
  /// `timeout` (per partition).
  std::map<std::int32_t, std::int64_t>
  log_start_offsets(const std::string& topic, const std::vector<std::int32_t>& partitions,
                    std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Deletes the records of each partition in `before` below its offset (Kafka's DeleteRecords:
  /// the log start offset moves there), as retention would. Throws kafka::error on failure or
  /// when `timeout` passes.
  void delete_records(const offset_map& before,
                      std::chrono::milliseconds timeout = std::chrono::seconds{30});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream::kafka
