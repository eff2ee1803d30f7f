// Plain value types exchanged with the Kafka wrappers: partitions, offsets, headers, records.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace finstream::kafka {

/// One partition of one topic. Ordered (topic, partition) so it can key std::map / std::set.
struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;

  friend bool operator<(const topic_partition& a, const topic_partition& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  }
  friend bool operator==(const topic_partition& a, const topic_partition& b) {
    return a.partition == b.partition && a.topic == b.topic;
  }
  friend bool operator!=(const topic_partition& a, const topic_partition& b) { return !(a == b); }
};

/// "topic[partition]", for logs and error texts.
std::string to_string(const topic_partition& tp);

/// Offsets by partition. An offset here is always the NEXT offset to consume (last processed + 1),
/// as Kafka commits it, or one of the logical offsets below.
using offset_map = std::map<topic_partition, std::int64_t>;

/// Logical offsets (librdkafka's values).
inline constexpr std::int64_t offset_beginning = -2;
inline constexpr std::int64_t offset_end = -1;
inline constexpr std::int64_t offset_invalid = -1001;

/// Message headers, in order (Kafka allows repeated keys).
using header = std::pair<std::string, std::string>;
using headers = std::vector<header>;

/// Value of the first header named `key`, or nullptr.
const std::string* find_header(const headers& hs, const std::string& key);

/// One consumed message, owning its bytes. `timestamp_ms` is -1 when the broker gave none.
struct record {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::int64_t timestamp_ms = -1;
  kafka::headers headers;

  topic_partition where() const { return {topic, partition}; }
};

} // namespace finstream::kafka
