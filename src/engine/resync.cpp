// Restarts after a retention overrun (see resync.hpp).
#include "engine/resync.hpp"

#include <algorithm>

namespace finstream::engine {

void resync_tracker::add(const std::string& symbol, day_t from) {
  auto [it, inserted] = pending_.emplace(symbol, from);
  if (!inserted) it->second = std::min(it->second, from);
}

std::optional<day_t> resync_tracker::restarts(const bar_batch& batch) const {
  auto it = pending_.find(batch.symbol);
  if (it == pending_.end() || batch.seq != 0 || !batch.error.empty() || batch.bars.empty() ||
      batch.from > it->second)
    return std::nullopt;
  return it->second;
}

void resync_tracker::restart(symbol_processor& proc, const std::string& symbol) {
  proc.evict(symbol);
  fresh_.insert(symbol);
  pending_.erase(symbol);
}

std::optional<stored_checkpoint> resync_tracker::load_checkpoint(const std::string& symbol) {
  if (fresh_.erase(symbol)) return std::nullopt;
  return base_.load_checkpoint(symbol);
}

std::unordered_map<std::string, stored_checkpoint>
resync_tracker::load_checkpoints(const std::vector<std::string>& symbols) {
  std::vector<std::string> stored;
  for (const auto& s : symbols)
    if (!fresh_.erase(s)) stored.push_back(s);
  return stored.empty() ? std::unordered_map<std::string, stored_checkpoint>{}
                        : base_.load_checkpoints(stored);
}

} // namespace finstream::engine
