// Dead-letter publishing (see dead_letter.hpp).
#include "kafka/dead_letter.hpp"

#include "core/log.hpp"
#include "kafka/error.hpp"
#include "metrics/metrics.hpp"

namespace finstream::kafka {

std::string one_line(std::string_view reason, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(reason.size(), max_bytes));
  for (char c : reason.substr(0, max_bytes))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

metrics::counter& dead_letter_counter(metrics::registry& registry, const std::string& origin_topic) {
  return registry.counter("finstream_kafka_dead_letters_total",
                          "Messages sent to a dead-letter topic, by origin topic",
                          {{"topic", origin_topic}});
}

dead_letter::dead_letter(producer& p, std::string fixed_topic, std::string suffix,
                         metrics::registry* registry)
    : producer_(p)
    , registry_(registry ? *registry : metrics::registry::global())
    , fixed_topic_(std::move(fixed_topic))
    , suffix_(std::move(suffix)) {
  if (fixed_topic_.empty() && suffix_.empty())
    throw error("dead_letter: neither a topic nor a suffix given");
}

std::string dead_letter::topic_for(const std::string& origin_topic) const {
  return fixed_topic_.empty() ? origin_topic + suffix_ : fixed_topic_;
}

void dead_letter::publish(const record& r, std::string_view reason,
                          const std::shared_ptr<delivery_tracker>& tracker) {
  const std::string line = one_line(reason);
  headers hs;
  hs.reserve(r.headers.size() + 5);
  hs.emplace_back(dlq_reason_header, line);
  hs.emplace_back(dlq_topic_header, r.topic);
  hs.emplace_back(dlq_partition_header, std::to_string(r.partition));
  hs.emplace_back(dlq_offset_header, std::to_string(r.offset));
  hs.emplace_back(dlq_timestamp_header, std::to_string(r.timestamp_ms));
  hs.insert(hs.end(), r.headers.begin(), r.headers.end());
  const std::string topic = topic_for(r.topic);
  producer_.produce(topic, r.key, r.value, hs, tracker);
  std::uint64_t n = published_.fetch_add(1, std::memory_order_relaxed) + 1;
  dead_letter_counter(registry_, r.topic).inc();
  // The key is a symbol (validated or not: it is only logged escaped); the value is never logged.
  log::warn(
      "kafka", "dead_letter",
      {{"origin", r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset)},
       {"dlq", topic},
       {"reason", line},
       {"total", n}});
}

} // namespace finstream::kafka
