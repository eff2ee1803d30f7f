// Backfill requests: `finstream backfill` records "(re)fetch [from, to] for these symbols" in
// table backfill_requests; the leading manager plans each pending request, and marks it taken in
// the transaction that records its tasks as planned (a crash in between leaves it pending).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"
#include "pg/manager_store.hpp"

namespace finstream::pg {

struct backfill_request {
  std::int64_t id = 0;
  std::vector<std::string> symbols; // empty: the whole universe
  day_t from = 0;
  day_t to = 0;
};

/// Records a request and returns its id. Symbols are validated before any SQL
/// (std::invalid_argument), as is the range (from <= to).
std::int64_t request_backfill(connection& c, const std::vector<std::string>& symbols, day_t from,
                              day_t to);

/// The pending requests (not taken yet), ascending by id. Reads only: a request stays pending
/// until mark_planned_settling settles it.
std::vector<backfill_request> pending_backfill_requests(connection& c);

/// What planning did with one pending request.
struct backfill_settlement {
  std::int64_t id = 0;
  bool taken = false;                 // all its symbols are planned: the request is done
  std::vector<std::string> remaining; // else: the symbols still to plan (the request stays pending)
};

/// Raises the managers' leader term (table manager_term) and returns the new one: called by a
/// manager right after it takes the leader lock, before it reads anything to plan from.
std::int64_t begin_leader_term(connection& c);

/// Records `tasks` as planned (as mark_planned) and applies `settlements` in ONE transaction,
/// retried whole after a lost connection: either the tasks are planned and the requests they cover
/// are settled, or nothing changed. Symbols are validated before any SQL. Returns the rows planned;
/// nullopt, with nothing changed, when `term` is given and is no longer the current leader term (a
/// newer leader took over: this one was deposed while it planned).
std::optional<std::size_t> mark_planned_settling(connection& c,
                                                 const std::vector<planned_task>& tasks,
                                                 const std::vector<backfill_settlement>& settlements,
                                                 std::optional<std::int64_t> term = std::nullopt);

} // namespace finstream::pg
