// What the manager reads and writes in symbol_state: the progress of each symbol of the universe,
// and the planning of fetch tasks (many symbols in one statement).
//
// Functions run one statement in autocommit through connection::with_retry. Symbols are validated
// before any SQL (std::invalid_argument).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"

namespace finstream::pg {

/// One symbol_state row (see migrations.hpp for the meaning of the columns).
struct symbol_state_row {
  std::string symbol;
  std::optional<day_t> first_date; // covered range [first_date, last_date], once a task is done
  std::optional<day_t> last_date;  // last date planned and completed
  std::string status;              // pending | planned | done | failed
  std::optional<day_t> planned_from;
  std::optional<day_t> planned_to;
  std::string task_id;    // "" when none
  std::string last_error; // "" when none
  bool permanent = false; // the last failure is permanent: do not retry
  std::int32_t attempts = 0;
  std::int64_t updated_at = 0; // seconds since the epoch (UTC)
  std::int64_t started_at_ms = 0; // when an agent started the outstanding task (ms since the
                                  // epoch, server clock); 0 = not started
};

/// The stored rows of `symbols` (symbols without a row are absent: never planned), ascending by
/// symbol.
std::vector<symbol_state_row> read_symbol_states(connection& c,
                                                 const std::vector<std::string>& symbols);

/// A task the manager has planned (and is about to send).
struct planned_task {
  std::string symbol;
  std::string task_id;
  day_t from = 0;
  day_t to = 0;
};

/// Records `tasks` as the outstanding task of their symbols (status planned, task_id, range),
/// creating rows as needed, in one statement: all or none. last_date, attempts and last_error
/// are kept; started_at is cleared. A symbol may appear once. Returns the number of rows written.
std::size_t mark_planned(connection& c, const std::vector<planned_task>& tasks);

/// An agent starts `task_id` of `symbol`: records the time (server clock) while that task is the
/// symbol's outstanding one. Idempotent (a redelivered task restarts the clock). Returns false
/// when the task is no longer outstanding (completed, or planned again).
bool record_task_start(connection& c, const std::string& symbol, const std::string& task_id);

/// mark_planned as one attempt, without retry: for a caller's transaction (which it retries whole).
std::size_t mark_planned_once(connection& c, const std::vector<planned_task>& tasks);

} // namespace finstream::pg
