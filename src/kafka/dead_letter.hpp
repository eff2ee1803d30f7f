// Dead-letter publishing: a message that cannot be parsed or processed is copied, byte for byte,
// to a dead-letter topic with its reason and origin in headers, and counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kafka/producer.hpp"
#include "kafka/record.hpp"

namespace finstream::metrics {
class counter;
class registry;
}

namespace finstream::kafka {

/// Header names written on every dead letter (the original headers follow, unchanged).
inline constexpr const char* dlq_reason_header = "finstream.dlq.reason";
inline constexpr const char* dlq_topic_header = "finstream.dlq.origin.topic";
inline constexpr const char* dlq_partition_header = "finstream.dlq.origin.partition";
inline constexpr const char* dlq_offset_header = "finstream.dlq.origin.offset";
inline constexpr const char* dlq_timestamp_header = "finstream.dlq.origin.timestamp";

/// The counter finstream_kafka_dead_letters_total{topic=<origin_topic>} of `registry`; consumers
/// register theirs at start-up so that the series exists (at 0) before the first dead letter.
metrics::counter& dead_letter_counter(metrics::registry& registry, const std::string& origin_topic);

/// Publishes dead letters through a producer owned by the caller (which must outlive this).
/// Thread-safe (the producer is). The dead-letter topics must exist (kafka::admin; see
/// topic_for()), since finstream clients never auto-create topics.
class dead_letter {
public:
  /// `fixed_topic` empty: each origin topic T has its own dead-letter topic "T" + `suffix`;
  /// otherwise every dead letter goes to `fixed_topic`. Counted in `registry` (null = global) as
  /// finstream_kafka_dead_letters_total{topic=<origin topic>}.
  explicit dead_letter(producer& p, std::string fixed_topic = {}, std::string suffix = ".dlq",
                       metrics::registry* registry = nullptr);

  /// The dead-letter topic for messages from `origin_topic`.
  std::string topic_for(const std::string& origin_topic) const;

  /// Sends `r` (same key, same value bytes, its headers) to topic_for(r.topic) with the reason
  /// (one line, at most 1000 bytes; newlines become blanks) and r's topic/partition/offset/
  /// timestamp as headers; logs and counts it. Pass a tracker and wait on it before committing
  /// `r`'s offset, so that the message is never lost between the two topics. Throws kafka::error
  /// when it cannot be enqueued (see producer::produce).
  void publish(const record& r, std::string_view reason,
               const std::shared_ptr<delivery_tracker>& tracker = {});

  /// Dead letters published (enqueued) by this object.
  std::uint64_t published() const noexcept { return published_.load(std::memory_order_relaxed); }

private:
  producer& producer_;
  metrics::registry& registry_;
  std::string fixed_topic_;
  std::string suffix_;
  std::atomic<std::uint64_t> published_{0};
};

/// The reason as stored in the header: newlines and other control characters become blanks,
/// cut to `max_bytes`.
std::string one_line(std::string_view reason, std::size_t max_bytes = 1000);

} // namespace finstream::kafka
