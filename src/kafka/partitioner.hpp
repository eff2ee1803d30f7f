// Which partition of the data topic a key lands on: the producers' partitioner (murmur2_random,
// kafka/config.cpp), computed where no message is produced (a processor finding its symbols).
#pragma once

#include <cstdint>
#include <string_view>

namespace finstream::kafka {

/// The partition of `key` among `partitions` (> 0) under librdkafka's murmur2_random partitioner
/// (Java-compatible murmur2 of the key bytes, sign bit cleared, modulo the count): the partition
/// the producers send a record keyed `key` to.
std::int32_t partition_of(std::string_view key, std::int32_t partitions);

} // namespace finstream::kafka
