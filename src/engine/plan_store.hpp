// What the manager needs from persistent storage: leadership, symbol_state, backfill requests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/work.hpp"
#include "engine/planner.hpp"

namespace finstream::engine {

/// "(Re)fetch [from, to] for these symbols (all of the universe when empty)", from `finstream
/// backfill`.
struct backfill_request {
  std::int64_t id = 0;
  std::vector<std::string> symbols;
  day_t from = 0;
  day_t to = 0;
};

/// What one planning pass did with a pending backfill request.
struct backfill_settlement {
  std::int64_t id = 0;
  bool taken = false;                 // every symbol planned: the request is done
  std::vector<std::string> remaining; // else: the symbols still to plan (request stays pending)
};

/// PostgreSQL in production. Called from the manager's thread only.
class plan_store {
public:
  virtual ~plan_store() = default;

  /// Acquires leadership, or confirms it is still held. False when another replica leads, or when
  /// leadership was lost (e.g. the connection holding the lock dropped).
  virtual bool try_lead() = 0;

  /// Gives leadership up (shutdown).
  virtual void resign() = 0;

  /// symbol_state rows of `symbols` (absent symbols have no row).
  virtual std::vector<symbol_status> load(const std::vector<std::string>& symbols) = 0;

  /// Records tasks as planned (status planned, task id, range), before they are dispatched, and
  /// settles the backfill requests they cover, atomically: a request is never settled without
  /// its tasks being planned (a crash in between leaves everything as it was). Fenced by the
  /// leadership term that try_lead() began: false, with nothing written, when another replica
  /// has led since (this one was deposed between its try_lead() and this call).
  virtual bool mark_planned(const std::vector<fetch_task>& tasks,
                            const std::vector<backfill_settlement>& backfills) = 0;

  /// Backfill requests not yet settled as taken, ascending by id. Reading changes nothing: a
  /// request is returned again until mark_planned settles it.
  virtual std::vector<backfill_request> pending_backfills() = 0;

  /// Symbols an operator excluded (`finstream symbols drop`): left out of the universe and of
  /// backfills, whatever the universe file says. Read at every tick.
  virtual std::vector<std::string> excluded() { return {}; }
};

} // namespace finstream::engine
