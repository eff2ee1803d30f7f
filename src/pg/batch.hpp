// What one sink transaction writes (pg::batch), and the batching policy that decides when the
// accumulated work is written (by row count or by age, whichever comes first).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/indicator_row.hpp"

namespace finstream::pg {

/// A processor's streaming state of one symbol after the rows of the batch
/// (processor_symbol_state).
struct symbol_state_update {
  std::string symbol;
  day_t last_date = 0;
  std::int32_t algo_version = 0;
  std::string state; // opaque bytes
};

enum class task_status { done, failed };

/// The end of one fetch task [first_date, last_date] (symbol_state). done: its rows are in the
/// batch (or it had none) and the symbol's covered range [first_date, last_date] widens to include
/// the task's range (last_date: the last date planned and completed); failed: `error` is recorded,
/// `permanent` tells the manager not to retry. Applied only while the task is the symbol's
/// outstanding one (task_id matches, status planned), so a repeated completion changes nothing;
/// a done completion also widens the covered range when the task is no longer outstanding.
struct task_completion {
  std::string symbol;
  std::string task_id;
  day_t first_date = 0; // the task's `from`
  day_t last_date = 0;  // the task's `to`
  task_status status = task_status::done;
  std::string error;
  bool permanent = false;
  bool throttled = false; // failed by throttling: attempts is not increased (the symbol waits)
};

/// Compare-and-set of a processor's Kafka position: commits only if the partition is still owned
/// with `epoch` (from claim_partitions) and its next_offset is still `expected_prev` (nullopt:
/// nothing committed yet). `next` is the offset after the last message the batch covers.
struct offset_commit {
  std::string consumer_group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t epoch = 0;
  std::optional<std::int64_t> expected_prev;
  std::int64_t next = 0;
};

/// Everything one transaction writes, each list in arrival order: when two rows share
/// (symbol, date), or two states share a symbol, the later one wins; completions apply in order.
struct batch {
  std::vector<indicator_row> rows;
  /// The indicator columns of `rows` (every row's values follow them).
  std::vector<std::string> columns = default_indicator_columns();
  /// Indicator columns of stored rows set by a fill, written before `rows` (see column_fill).
  std::vector<column_fill> fills;
  /// The version of the active indicator set `states` were computed with (0: the default set,
  /// none stored). The sink settles these symbols' entries of indicator_fill_pending up to this
  /// version, and lists them for a fill when the active set is newer.
  std::int64_t set_version = 0;
  std::vector<symbol_state_update> states;
  std::vector<task_completion> completions;
  std::vector<offset_commit> offsets;

  bool empty() const noexcept {
    return rows.empty() && fills.empty() && states.empty() && completions.empty() &&
           offsets.empty();
  }

  /// Appends the newer work `later`: rows, states and completions are appended (so later entries
  /// win as above); offsets of the same (group, topic, partition) merge into one commit
  /// from the earlier expected_prev to the later next. Throws std::invalid_argument when such
  /// offsets do not chain (different epoch, or later.expected_prev != earlier.next), or when both
  /// have rows of different indicator columns or states of different set versions; `*this` is
  /// unchanged then.
  void append(batch&& later);
};

struct batch_limits {
  std::size_t max_rows = 5000;              // write when this many rows are pending ...
  std::chrono::milliseconds max_delay{200}; // ... or when the oldest pending work is this old
};

/// The batching policy: accumulates batches and says when to write. No threads and no clock of
/// its own: the owner (an actor) passes `now` and schedules a wake-up at deadline().
class batcher {
public:
  using clock = std::chrono::steady_clock;

  explicit batcher(batch_limits limits = {})
      : limits_(limits) {}

  /// Adds work that arrived at `now` (see batch::append for merging and its exception).
  void add(batch&& part, clock::time_point now);
  /// True when the pending work should be written now: max_rows reached, or max_delay elapsed
  /// since the oldest pending work arrived.
  bool due(clock::time_point now) const;
  /// When the pending work becomes due by age (nullopt when nothing is pending).
  std::optional<clock::time_point> deadline() const;
  /// Hands over the pending work and starts a new, empty one.
  batch take();

  bool empty() const noexcept { return pending_.empty(); }
  std::size_t pending_rows() const noexcept { return pending_.rows.size(); }
  const batch_limits& limits() const noexcept { return limits_; }

private:
  batch_limits limits_;
  batch pending_;
  std::optional<clock::time_point> oldest_;
};

} // namespace finstream::pg
