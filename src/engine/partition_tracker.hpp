// Which partitions a processor owns and which of them each in-memory symbol state came from, so
// that no state outlives the ownership of its partition (another processor may advance the symbol
// meanwhile). Plain class behind the Kafka processor: no I/O, no threads of its own.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/symbol_processor.hpp"

namespace finstream::engine {

/// Contract: calls come from the processor's thread in the order the consumer reports the events;
/// revoked() comes after the pending output of those partitions was committed (or abandoned).
class partition_tracker {
public:
  explicit partition_tracker(symbol_processor& proc)
      : proc_(proc) {}

  /// `partitions` were just assigned. Only the states of symbols seen on partitions owned without
  /// a break stay in memory; every other cached state is dropped (restored from the store when
  /// next needed): whoever owned these partitions meanwhile may have advanced their symbols.
  void assigned(const std::vector<std::int32_t>& partitions);

  /// `partitions` are being revoked: their symbols' states are dropped.
  void revoked(const std::vector<std::int32_t>& partitions);

  bool owns(std::int32_t partition) const { return owned_.count(partition) > 0; }

  /// Restores, in one store call, the states of the symbols polled from owned partitions
  /// (`polled`: partition and symbol of each decoded record). Records of a partition revoked
  /// inside the poll that returned them are left out: a state loaded for them would outlive the
  /// revocation.
  void preload(const std::vector<std::pair<std::int32_t, std::string>>& polled);

  /// A record of `symbol` from the owned `partition` is about to be processed.
  void processing(const std::string& symbol, std::int32_t partition);

private:
  symbol_processor& proc_;
  std::set<std::int32_t> owned_;
  std::unordered_map<std::string, std::int32_t> partition_of_; // symbols with a state in memory
};

} // namespace finstream::engine
