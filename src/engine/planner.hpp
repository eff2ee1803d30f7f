// The manager's decision: which (symbol, range) tasks to publish, from the universe and
// symbol_state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/work.hpp"

namespace finstream::engine {

/// What symbol_state says about one symbol (status: planned | done | failed).
struct symbol_status {
  std::string symbol;
  std::optional<day_t> first_date; // covered range [first_date, last_date], when anything is done
  std::optional<day_t> last_date;
  std::string status;
  day_t planned_from = 0; // range of the last planned task
  day_t planned_to = 0;
  std::string task_id;
  int attempts = 0;       // consecutive failed attempts of the current range
  bool permanent = false; // the last failure was permanent
  std::int64_t updated_at_ms = 0;
  std::int64_t started_at_ms = 0; // when an agent started the outstanding task; 0 = not started
};

struct planner_options {
  int max_attempts = 5;                // transient failures before giving up on a range
  std::int64_t retry_base_ms = 30'000; // backoff after the n-th failure: base * 2^(n-1)
  std::int64_t retry_max_ms = 3'600'000;
  /// Revision window: a task that continues a done symbol starts this many weekdays before its
  /// last_date, so that the source's corrections of those sessions (a preliminary volume) reach
  /// the processors, which compare them with the stored bars. 0 = off.
  int revision_sessions = 5;
};

/// One planning pass. Pure: the same inputs give the same tasks (ids include `epoch`).
/// - a symbol never fetched gets [from, to];
/// - a done symbol gets what is missing: [from, to] when from < first_date (one task, the middle is
///   deduplicated downstream), else [last_date + 1, to] started earlier by the revision window
///   (never before from or first_date); nothing when it covers [from, to], nor when its last task
///   already asked up to `to` (its source was final only through an earlier date, e.g. today's
///   session still open: asked again once the target moves);
/// - a planned symbol is re-planned unless its task is in `in_flight` (published by this leader);
/// - a failed symbol: permanent → only when its range would change; transient → after a backoff,
///   at most max_attempts times per range.
struct plan_input {
  std::vector<std::string> universe;
  day_t from = 0;
  day_t to = 0;
  std::int64_t now_ms = 0;
  std::string epoch;               // distinguishes planning passes in task ids
  std::set<std::string> in_flight; // task ids published and not yet completed
};

std::vector<fetch_task> plan_tasks(const plan_input& in, const std::vector<symbol_status>& state,
                                   const planner_options& opts = {});

/// The range a symbol still needs, or nullopt when it is complete (ignores status).
std::optional<std::pair<day_t, day_t>> missing_range(const symbol_status* st, day_t from, day_t to);

} // namespace finstream::engine
