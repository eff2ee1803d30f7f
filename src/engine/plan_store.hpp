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

  /// Records tasks as planned (status planned, task id, range), before they are dispatched.
  virtual void mark_planned(const std::vector<fetch_task>& tasks) = 0;

  /// Pending backfill requests, marked taken (each is returned once).
  virtual std::vector<backfill_request> take_backfills() = 0;

  /// Symbols an operator excluded (`finstream symbols drop`): left out of the universe and of
  /// backfills, whatever the universe file says. Read at every tick.
  virtual std::vector<std::string> excluded() { return {}; }
};

} // namespace finstream::engine
