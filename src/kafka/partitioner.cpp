// Key → partition with librdkafka's own partitioner function (see partitioner.hpp).
#include "kafka/partitioner.hpp"

#include <stdexcept>

#include <librdkafka/rdkafka.h>

namespace finstream::kafka {

std::int32_t partition_of(std::string_view key, std::int32_t partitions) {
  if (partitions <= 0) throw std::invalid_argument("kafka: partition count must be positive");
  // The topic handle and opaques are not used by the murmur2 partitioners (a non-null key is
  // hashed; only a null key would take the random path).
  static const char empty = 0;
  return rd_kafka_msg_partitioner_murmur2_random(nullptr, key.empty() ? &empty : key.data(),
                                                 key.size(), partitions, nullptr, nullptr);
}

} // namespace finstream::kafka
