// Restarting a symbol's computation from scratch after a retention overrun: the symbols whose
// bars may have been in deleted Kafka records are re-planned over their whole range, and the first
// batch of that re-fetch must not continue from a state that misses those bars.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/work.hpp"
#include "engine/symbol_processor.hpp"

namespace finstream::engine {

/// A history_store in front of the processor's store that knows the symbols awaiting a restart
/// (pg::pending_resyncs). Give it to the symbol_processor instead of the store itself.
///
/// Why a restart: bars lost between two processed ones leave a gap the processor cannot see, and
/// the re-fetched bars that fill it fall before the symbol's last processed date, where the
/// processor drops them as duplicates. A computation restarted at a batch that starts at or before
/// the symbol's first known date, with the following batches of the same task, emits every
/// session again from scratch: bit-identical to the first computation on complete data.
///
/// Threads: the processor's thread only (as the symbol_processor).
class resync_tracker : public history_store {
public:
  explicit resync_tracker(history_store& base)
      : base_(base) {}

  /// Replaces the pending set (read at a claim; a symbol's partition has one owner at a time).
  void reset(std::map<std::string, day_t> pending) { pending_ = std::move(pending); }
  /// Adds symbols re-planned by this processor (keeping the earlier date when already pending).
  void add(const std::string& symbol, day_t from);
  bool empty() const { return pending_.empty(); }

  /// The pending date of `batch`'s symbol when this batch restarts it: the symbol is pending, the
  /// batch is a task's first (seq 0), fetched without error, with bars, and its task starts at or
  /// before the pending date. Nothing otherwise.
  std::optional<day_t> restarts(const bar_batch& batch) const;

  /// Restarts `symbol` in `proc`: drops its in-memory state and makes the next read of its
  /// checkpoint find none, so the next process() starts it afresh; no longer pending. The caller
  /// commits every pending output of the symbol first (rows of the same dates would meet in one
  /// commit otherwise).
  void restart(symbol_processor& proc, const std::string& symbol);

  std::optional<stored_checkpoint> load_checkpoint(const std::string& symbol) override;
  std::unordered_map<std::string, stored_checkpoint>
  load_checkpoints(const std::vector<std::string>& symbols) override;
  std::vector<bar> load_bars(const std::string& symbol) override { return base_.load_bars(symbol); }
  std::optional<std::pair<std::string, std::int64_t>> active_set() override {
    return base_.active_set();
  }

private:
  history_store& base_;
  std::map<std::string, day_t> pending_;
  std::set<std::string> fresh_; // restarted, checkpoint not read yet
};

} // namespace finstream::engine
