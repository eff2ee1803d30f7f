// Partition ownership of in-memory symbol states (see partition_tracker.hpp).
#include "engine/partition_tracker.hpp"

#include <algorithm>

namespace finstream::engine {

void partition_tracker::assigned(const std::vector<std::int32_t>& partitions) {
  auto is_new = [&](std::int32_t p) {
    return std::find(partitions.begin(), partitions.end(), p) != partitions.end();
  };
  for (auto it = partition_of_.begin(); it != partition_of_.end();) {
    bool kept = owns(it->second) && !is_new(it->second);
    it = kept ? std::next(it) : partition_of_.erase(it);
  }
  proc_.evict_unless([&](const std::string& s) { return partition_of_.count(s) > 0; });
  owned_.insert(partitions.begin(), partitions.end());
}

void partition_tracker::revoked(const std::vector<std::int32_t>& partitions) {
  for (auto p : partitions)
    owned_.erase(p);
  for (auto it = partition_of_.begin(); it != partition_of_.end();) {
    if (owns(it->second)) {
      ++it;
    } else {
      proc_.evict(it->first);
      it = partition_of_.erase(it);
    }
  }
}

void partition_tracker::preload(const std::vector<std::pair<std::int32_t, std::string>>& polled) {
  std::vector<std::string> symbols;
  for (const auto& [partition, symbol] : polled)
    if (owns(partition)) symbols.push_back(symbol);
  proc_.preload(symbols);
}

void partition_tracker::processing(const std::string& symbol, std::int32_t partition) {
  partition_of_[symbol] = partition;
}

} // namespace finstream::engine
