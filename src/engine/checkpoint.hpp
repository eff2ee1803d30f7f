// A processor's persisted memory of one symbol: how far it got and the indicators' state there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bar.hpp"
#include "core/date.hpp"

namespace finstream::engine {

/// Everything a processor needs to continue a symbol exactly where the last commit left it. Stored
/// as bytes (encode/decode) in processor_symbol_state, in the same transaction as the rows it
/// covers.
struct symbol_checkpoint {
  bool has_bars = false;             // no bar processed yet: first/last are meaningless
  day_t first_date = 0;              // first processed bar (history starts here)
  day_t last_date = 0;               // last processed bar: later bars are new, others duplicates
  std::vector<day_t> applied_splits; // split dates already reflected in the stored rows, ascending
  std::string indicator_state;       // indicators::indicator_set::save()

  /// One session of the revision window: a processed bar and the indicators' state just before
  /// it, so that a revised bar restarts the computation there bit-exactly.
  struct window_entry {
    bar b;
    std::string state_before; // indicators::indicator_set::save() before b
  };
  /// The last processed bars (consecutive, ascending, at most the processor's revision window).
  std::vector<window_entry> window;

  /// History being extended backwards: a task that starts before the first stored date arrives in
  /// several batches (the agents cut a fetch into chunks), oldest first. Each batch's bars before
  /// `resume_at` are computed on from `state` and stored; the batch that reaches `resume_at` (or
  /// closes the task) computes the stored sessions from `resume_at` on again after them. Until
  /// then the rows from `resume_at` on hold values computed without the extension, and the
  /// symbol's task is not complete. Committed with the rows it covers, so a restart continues it.
  struct extension {
    day_t resume_at = 0; // the first stored date before the extension began
    day_t last = 0;      // the last extension bar processed; 0: none yet
    std::string state;   // indicators::indicator_set::save() after `last`; empty: a fresh set
  };
  std::optional<extension> ext;

  /// The newest task generation (bar_batch::generation) whose bars this symbol's stored sessions
  /// hold: bars of an older task (a slow agent's, published after its task was planned again)
  /// never revise them. 0: unknown.
  std::int64_t generation = 0;

  /// Versioned binary encoding; decode throws std::runtime_error on anything it did not write.
  std::string encode() const;
  static symbol_checkpoint decode(std::string_view bytes);

  bool split_applied(day_t date) const;
  void mark_split_applied(day_t date);
};

} // namespace finstream::engine
