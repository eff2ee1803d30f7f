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
//                          (v8: on a database adopted from the original system's tables, backfill
//                          requests that make the processors recompute the adopted symbols; see
//                          pg/adopt.hpp)
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

/// (Re)creates view latest_indicators over technical_indicators' current columns: the newest row
/// of each symbol known to symbol_state or processor_symbol_state, one primary-key probe each.
/// Run by migration 6 and again whenever indicator columns are added (CREATE OR REPLACE VIEW
/// accepts columns appended at the end).
const char* latest_indicators_view_sql();

struct migrate_result {
  std::vector<int> applied; // versions applied by this call (empty: the schema was up to date)
  int version = 0;          // schema version after the call
  bool adopted = false;     // this call adopted the original system's tables (pg/adopt.hpp)
  std::vector<std::string> plan; // plan_only: what a real run would do, one line per step
};

struct migrate_options {
  /// Convert the original system's tables when the database holds them (`finstream migrate`).
  /// Without it such a database is refused with a message saying how to adopt it, so that no
  /// other command changes the original's tables unasked.
  bool adopt_original = false;
  /// Change nothing: fill migrate_result::plan (and version) from reads only.
  bool plan_only = false;
};

/// Brings the schema up to date. Holds a session advisory lock while it works, so replicas that
/// migrate at once apply each version exactly once (the others wait, then find nothing to do).
/// Each version is applied in its own transaction together with its schema_migrations row.
/// Idempotent: a second call applies nothing. Retried whole after a lost connection.
migrate_result migrate(connection& c, const migrate_options& opts = {});

} // namespace finstream::pg
