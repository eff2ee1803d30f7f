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
  /// The active indicator set as stored: canonical spec and version; nullopt when none is stored
  /// (the configured set applies, as version 0).
  virtual std::optional<std::pair<std::string, std::int64_t>> active_set() { return std::nullopt; }
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
  /// The stored columns of rows' values (the processor's active set, table_columns order).
  std::vector<std::string> columns = default_indicator_columns();
  /// Indicators added to the set, computed over stored rows: committed before `rows`.
  std::vector<column_fill> fills;
  /// Version of the active indicator set the checkpoints hold (0: not read from the database).
  std::int64_t set_version = 0;

  bool empty() const {
    return rows.empty() && fills.empty() && checkpoints.empty() && outcomes.empty();
  }
  void clear() {
    rows.clear();
    fills.clear();
    checkpoints.clear();
    outcomes.clear();
  }
};

/// Counters since construction (exported as metrics by the actor).
struct processor_stats {
  std::uint64_t bars_in = 0;
  std::uint64_t duplicates = 0; // bars at or before the symbol's last processed date
  std::uint64_t recomputes = 0; // full recomputes (split, state from another algorithm version)
  /// Histories extended backwards that reached their stored part (which is then computed again
  /// after the extension's bars, once per extension however many batches it spans).
  std::uint64_t extensions = 0;
  std::uint64_t revisions = 0;    // restarts inside the revision window (a stored bar revised)
  std::uint64_t revised_bars = 0; // sessions of the window the source reported differently
  std::uint64_t failed_tasks = 0;
  std::uint64_t fills = 0;       // symbols whose added indicators were computed over stored rows
  std::uint64_t filled_rows = 0; // stored rows those fills wrote
};

/// Keeps one indicator set per symbol (restored lazily from the store) and turns batches into rows.
/// Contract: batches of one symbol arrive in the order the agents produced them; the caller commits
/// `pending_output` atomically and calls `committed()` afterwards; before `process()` of a batch
/// for which `needs_history()` is true, every pending row of that symbol must be committed (the
/// recompute reads the symbol's history from the store).
class symbol_processor {
public:
  /// `prototype` is the active indicator set (version `set_version` in the database; 0: not from
  /// the database); rows carry its outputs in the columns indicators::table_columns names.
  /// `max_cached` bounds memory: beyond it, symbols without uncommitted changes are evicted (least
  /// recently used first) and restored when seen again. `revision_window`: how many of a symbol's
  /// last sessions the source may still revise (see process()); 0 = none.
  ///
  /// Indicator state is kept per indicator, keyed by its spec: a checkpoint saved by a set that
  /// lacked some of the active indicators restores the others, and the missing ones are filled:
  /// computed alone over the symbol's stored bars (store.load_bars), their columns of the stored
  /// rows set through pending_output::fills, the other columns untouched. A fill is a history
  /// read: needs_history() is true for such a symbol.
  symbol_processor(indicators::indicator_set prototype, history_store& store,
                   std::size_t max_cached = 100000, std::size_t revision_window = 5,
                   std::int64_t set_version = 0);

  /// Switches to another active set (a change of the set in the database). Precondition: no
  /// uncommitted output. Every cached state is dropped and restored from the store when next
  /// needed, so indicators added are filled and removed ones no longer computed.
  void set_indicators(indicators::indicator_set set, std::int64_t set_version);
  const indicators::indicator_set& indicators() const { return prototype_; }
  std::int64_t set_version() const { return set_version_; }
  const std::vector<std::string>& columns() const { return columns_; }

  /// Fills `symbol`'s indicators missing from its stored state (see the constructor) without a
  /// batch: for symbols that receive no new bars. Precondition: nothing of `symbol` uncommitted.
  /// Writes the symbol's checkpoint to `out` whenever it has one (also when nothing was missing,
  /// so that the commit settles its indicator_fill_pending entry); false when it has none.
  bool fill(const std::string& symbol, pending_output& out);

  /// Restores the states of those of `symbols` not in memory, in one store call. Optional (get()
  /// restores one by one otherwise); a caller holding many batches calls it first.
  void preload(const std::vector<std::string>& symbols);

  bool needs_history(const bar_batch& batch);

  /// Bars before the symbol's first processed date extend its history backwards, over as many
  /// batches as the task has (symbol_checkpoint::extension): each batch's older bars are computed on
  /// from the previous batch's state; the batch that reaches the first stored date (or closes the
  /// task) computes the stored sessions again after them. Linear in the history, and bit-identical
  /// to one computation over the whole range.
  /// Bars after the symbol's last processed date are new: one row each. A bar at or before it is
  /// compared, bit for bit, with the stored one when it falls in the revision window (the last
  /// `revision_window` processed sessions, kept with the indicators' state before each in the
  /// checkpoint): unchanged, it is dropped; revised (or a session missing until now), the
  /// computation restarts from the state before it and emits that session and every later one
  /// again, bit-identical to a fresh computation on the revised data. Older bars are duplicates.
  /// A batch of a task planned before the one that wrote the stored sessions (bar_batch::
  /// generation) never revises them: its bars at or before the last processed date are
  /// duplicates.
  void process(const bar_batch& batch, pending_output& out);

  /// The caller sends the output accumulated so far to be committed (and starts a new one): the
  /// returned generation names it for committed(generation). Outputs are committed in the order
  /// they are sealed.
  std::uint64_t seal() { return output_gen_++; }
  /// The output sealed as `generation` (and every earlier one) is committed: the states of the
  /// symbols last changed in it are now safe to evict, while later outputs are still in flight;
  /// the cache is shrunk to max_cached then. Without an argument: everything is committed.
  void committed(std::uint64_t generation);
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
    bool stale = false; // loaded state unusable (other algorithm version, corrupt): recompute
    /// The generation of the output that last changed it (see seal()); 0: everything committed.
    std::uint64_t dirty = 0;
    std::vector<std::size_t> missing; // indicators of the set without saved state: to fill
    std::list<std::string>::iterator lru;
  };

  context& get(const std::string& symbol);
  context& insert(const std::string& symbol, const std::optional<stored_checkpoint>& stored);
  void recompute(const std::string& symbol, context& ctx, const bar_batch& batch,
                 const std::vector<split_event>& new_splits, pending_output& out);
  void extend(const std::string& symbol, context& ctx, const bar_batch& batch,
              pending_output& out);
  /// `batch` comes from a task planned before the one whose bars the stored sessions hold (a
  /// slow agent of an expired task publishing after the re-planned one): it adds sessions the
  /// symbol lacks, never revises stored ones.
  static bool older(const context& ctx, const bar_batch& batch);
  std::optional<std::size_t> revision_point(const context& ctx, const std::vector<bar>& bars) const;
  void revise(const std::string& symbol, context& ctx, std::size_t at, const std::vector<bar>& bars,
              pending_output& out);
  /// `keep`: b is among the last `revision_window_` bars of what is being emitted (its state is
  /// kept in the window; a bar not kept empties the window, which stays consecutive).
  void emit(const std::string& symbol, context& ctx, const bar& b, pending_output& out, bool keep);
  /// Computes ctx.missing over the stored bars (see the constructor); false when the stored rows
  /// do not end at the checkpoint's last date (then nothing was done: the caller recomputes).
  bool fill_missing(const std::string& symbol, context& ctx, pending_output& out);
  void stamp(pending_output& out) const;
  void shrink();

  indicators::indicator_set prototype_;
  std::vector<std::string> columns_;
  std::int64_t set_version_ = 0;
  history_store& store_;
  std::size_t max_cached_;
  std::size_t revision_window_;
  std::unordered_map<std::string, context> cache_;
  std::list<std::string> lru_; // front = most recently used
  processor_stats stats_;
  std::vector<double> scratch_;
  std::uint64_t output_gen_ = 1; // the generation of the output being accumulated
};

} // namespace finstream::engine
