// The database schema of finstream as versioned migrations, applied under an advisory lock.
//
// Tables (see migrations.cpp for the exact DDL):
//   technical_indicators   one row per (symbol, date): the bar and the 19 indicator columns
//   symbol_state           the manager's progress per symbol (covered range [first_date,
//                          last_date] planned and completed, status pending|planned|done|failed,
//                          the outstanding task, errors, attempts)
//   processor_offsets      next Kafka offset per (consumer_group, topic, partition) and the epoch
//                          of the replica that owns it (fencing)
//   processor_symbol_state per-symbol streaming indicator state (bytes), last processed date,
//                          algorithm version
//   latest_indicators      view: the newest technical_indicators row of each symbol (v6: of each
//                          symbol of symbol_state/processor_symbol_state, by index lookups)
//   backfill_requests      (v2) ranges to (re)fetch, recorded by `finstream backfill`
//                          (v3: symbol_state.started_at, when an agent started the task)
//   rate_limits            (v4) token buckets shared by every process of a deployment
//   schema_migrations      applied versions
// Objects are created unqualified, i.e. in the first schema of the session's search_path.
#pragma once

#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace finstream::pg {

struct migration {
  int version;
  std::string name;
  std::vector<std::string> statements; // run in order, in one transaction
};

/// Every migration this binary knows, ascending by version.
const std::vector<migration>& migrations();

struct migrate_result {
  std::vector<int> applied; // versions applied by this call (empty: the schema was up to date)
  int version = 0;          // schema version after the call
};

/// Brings the schema up to date. Holds a session advisory lock while it works, so replicas that
/// migrate at once apply each version exactly once (the others wait, then find nothing to do).
/// Each version is applied in its own transaction together with its schema_migrations row.
/// Idempotent: a second call applies nothing. Retried whole after a lost connection.
migrate_result migrate(connection& c);

} // namespace finstream::pg
