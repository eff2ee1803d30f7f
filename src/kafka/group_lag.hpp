// A consumer group's lag read from outside the group (`finstream status --kafka`): committed
// offsets against the partitions' high watermarks, without joining the group.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/config.hpp"

namespace finstream::kafka {

struct partition_lag_row {
  std::int32_t partition = 0;
  std::optional<std::int64_t> committed; // nullopt: the group has committed nothing here
  std::int64_t high = 0;                 // high watermark (next offset to be written)
  /// high - committed; without a commit, high - low watermark (everything retained is unread).
  std::int64_t lag = 0;
};

/// Lag of `group` on every partition of `topic`, ascending by partition. Empty when the topic
/// does not exist. Never joins or disturbs the group. Throws kafka::error when the cluster cannot
/// be reached within `timeout` (per request).
std::vector<partition_lag_row> group_lag(const config& c, const std::string& group,
                                         const std::string& topic,
                                         std::chrono::milliseconds timeout = std::chrono::seconds{
                                             10});

} // namespace finstream::kafka
