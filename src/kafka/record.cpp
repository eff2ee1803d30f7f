// Helpers of the plain Kafka value types (see record.hpp).
#include "kafka/record.hpp"

namespace finstream::kafka {

std::string to_string(const topic_partition& tp) {
  return tp.topic + "[" + std::to_string(tp.partition) + "]";
}

const std::string* find_header(const headers& hs, const std::string& key) {
  for (const auto& h : hs)
    if (h.first == key) return &h.second;
  return nullptr;
}

} // namespace finstream::kafka
