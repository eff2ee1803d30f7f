// The processors' core: bar batches in, indicator rows + checkpoints + task outcomes out, per
// symbol in date order, O(1) per new bar. No threads, no I/O of its own (history comes from a
// store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/indicator_row.hpp"
#include "core/work.hpp"
#include "engine/checkpoint.hpp"
#include "indicators/indicator_set.hpp"

namespace finstream::engine {

/// A symbol's committed state as the store holds it.
struct stored_checkpoint {
  std::uint32_t algo_version = 0;
  std::string bytes; // symbol_checkpoint::encode()
};

/// Where a processor finds what earlier commits persisted (PostgreSQL in production). Called only
/// from the processor's thread; sees committed data only.
class history_store {
public:
  virtual ~history_store() = default;
  virtual std::optional<stored_checkpoint> load_checkpoint(const std::string& symbol) = 0;
  /// The checkpoints of several symbols at once (absent: none stored). One round trip where the
  /// store allows it: a processor that meets many new symbols (start-up, restart after a crash)
  /// restores them in batches instead of one query each.
  virtual std::unordered_map<std::string, stored_checkpoint>
  load_checkpoints(const std::vector<std::string>& symbols) {
    std::unordered_map<std::string, stored_checkpoint> out;
    for (const auto& s : symbols)
      if (auto cp = load_checkpoint(s)) out.emplace(s, std::move(*cp));
    return out;
  }
  /// Every stored bar of `symbol`, ascending by date.
  virtual std::vector<bar> load_bars(const std::string& symbol) = 0;
};

/// How a task ended, recorded in symbol_state by the same commit as its last rows.
struct task_outcome {
  std::string symbol;
  std::string task_id;
  day_t from = 0;
  day_t to = 0;
  bool ok = true;
  bool permanent = false; // failure that retrying will not fix (unknown symbol, bad range)
  std::string error;
  bool throttled = false; // failure from throttling: not counted against the retry budget
};

/// Output accumulated between two commits. Everything in it must be committed in one transaction.
struct pending_output {
  std::vector<indicator_row> rows;
  std::unordered_map<std::string, std::string> checkpoints; // symbol → encoded checkpoint (latest)
  std::vector<task_outcome> outcomes;

  bool empty() const { return rows.empty() && checkpoints.empty() && outcomes.empty(); }
  void clear() {
    rows.clear();
    checkpoints.clear();
    outcomes.clear();
  }
};

/// Counters since construction (exported as metrics by the actor).
struct processor_stats {
  std::uint64_t bars_in = 0;
  std::uint64_t duplicates = 0; // bars at or before the symbol's last processed date
  std::uint64_t recomputes = 0; // full recomputes (split, state from another algorithm version)
  std::uint64_t revisions = 0;    // restarts inside the revision window (a stored bar revised)
  std::uint64_t revised_bars = 0; // sessions of the window the source reported differently
  std::uint64_t failed_tasks = 0;
};

/// Keeps one indicator set per symbol (restored lazily from the store) and turns batches into rows.
/// Contract: batches of one symbol arrive in the order the agents produced them; the caller commits
/// `pending_output` atomically and calls `committed()` afterwards; before `process()` of a batch
/// for which `needs_history()` is true, every pending row of that symbol must be committed (the
/// recompute reads the symbol's history from the store).
class symbol_processor {
public:
  /// `prototype` fixes the indicator configuration; its outputs must be the default set's columns
  /// (core/indicator_row.hpp) so rows fit the table. `max_cached` bounds memory: beyond it, symbols
  /// without uncommitted changes are evicted (least recently used first) and restored when seen
  /// again. `revision_window`: how many of a symbol's last sessions the source may still revise
  /// (see process()); 0 = none.
  symbol_processor(indicators::indicator_set prototype, history_store& store,
                   std::size_t max_cached = 100000, std::size_t revision_window = 5);

  /// Restores the states of those of `symbols` not in memory, in one store call. Optional (get()
  /// restores one by one otherwise); a caller holding many batches calls it first.
  void preload(const std::vector<std::string>& symbols);

  bool needs_history(const bar_batch& batch);

  /// Bars after the symbol's last processed date are new: one row each. A bar at or before it is
  /// compared, bit for bit, with the stored one when it falls in the revision window (the last
  /// `revision_window` processed sessions, kept with the indicators' state before each in the
  /// checkpoint): unchanged, it is dropped; revised (or a session missing until now), the
  /// computation restarts from the state before it and emits that session and every later one
  /// again, bit-identical to a fresh computation on the revised data. Older bars are duplicates.
  void process(const bar_batch& batch, pending_output& out);

  /// The last `pending_output` was committed: its symbols' states are now safe to evict.
  void committed();

  /// Drops in-memory state (after losing a partition or being fenced); restored lazily later.
  void evict(const std::string& symbol);
  void evict_all();
  /// Drops the in-memory state of every symbol for which `keep` is false. The caller keeps every
  /// symbol with uncommitted output.
  void evict_unless(const std::function<bool(const std::string&)>& keep);

  std::size_t cached_symbols() const { return cache_.size(); }
  const processor_stats& stats() const { return stats_; }

private:
  struct context {
    symbol_checkpoint cp;
    indicators::indicator_set set;
    bool stale = false; // loaded state unusable (other algorithm version, other spec): recompute
    bool dirty = false; // changed since the last commit
    std::list<std::string>::iterator lru;
  };

  context& get(const std::string& symbol);
  context& insert(const std::string& symbol, const std::optional<stored_checkpoint>& stored);
  void recompute(const std::string& symbol, context& ctx, const bar_batch& batch,
                 const std::vector<split_event>& new_splits, pending_output& out);
  std::optional<std::size_t> revision_point(const context& ctx, const std::vector<bar>& bars) const;
  void revise(const std::string& symbol, context& ctx, std::size_t at, const std::vector<bar>& bars,
              pending_output& out);
  /// `keep`: b is among the last `revision_window_` bars of what is being emitted (its state is
  /// kept in the window; a bar not kept empties the window, which stays consecutive).
  void emit(const std::string& symbol, context& ctx, const bar& b, pending_output& out, bool keep);
  void shrink();

  indicators::indicator_set prototype_;
  history_store& store_;
  std::size_t max_cached_;
  std::size_t revision_window_;
  std::unordered_map<std::string, context> cache_;
  std::list<std::string> lru_; // front = most recently used
  processor_stats stats_;
  std::vector<double> scratch_;
};

} // namespace finstream::engine
