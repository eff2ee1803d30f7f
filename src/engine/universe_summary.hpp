// Counts of a universe's symbols by state and how far it is stored: what the manager exports as
// gauges and what `finstream status` prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "engine/planner.hpp"

namespace finstream::engine {

struct universe_summary {
  std::uint64_t symbols = 0; // in the universe (exclusions already removed by the caller)
  std::uint64_t pending = 0; // never planned (no symbol_state row, or status pending)
  std::uint64_t planned = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t failed_permanent = 0; // failed, and the failure is permanent
  /// Every symbol not failed permanently is stored through this date; nullopt while some such
  /// symbol has nothing stored (or the universe has none).
  std::optional<day_t> complete_through;
  std::optional<day_t> last_stored; // the newest last_date of any symbol
};

/// Pure: `state` may hold rows of symbols outside `universe` (ignored) and lack rows (pending).
universe_summary summarize(const std::vector<std::string>& universe,
                           const std::vector<symbol_status>& state);

} // namespace finstream::engine
