// Retention overruns in PostgreSQL: a processor whose stored position fell below its partition's
// log start records, in one transaction, the jump over the lost offsets, a backfill request that
// re-plans the partition's symbols, and a resync row per symbol (its computation restarts from the
// re-planned bars).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"

namespace finstream::pg {

/// A partition whose stored position lies below the first offset the broker still holds.
struct retention_overrun {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t epoch = 0;                 // the processor's claim on it
  std::optional<std::int64_t> stored;     // processor_offsets.next_offset at the claim (none: 0)
  std::int64_t log_start = 0;             // the partition's low watermark, > stored
};

/// One backfill request of a re-plan (symbols sharing the same first date).
struct replan_request {
  std::int64_t backfill_id = 0;
  std::vector<std::string> symbols;
  day_t from = 0;
  day_t to = 0;
};

/// Records an overrun, in ONE transaction retried whole after a lost connection:
/// - the partition's next_offset moves to log_start, only while it still is `stored` under
///   `epoch` (else another claim or commit came first: nothing is recorded, nullopt);
/// - the symbols that may have had bars in the lost offsets, i.e. every symbol of symbol_state or
///   processor_symbol_state that `partition_of` maps to the partition (which bars the lost records
///   held is unknown), are re-planned over their whole known range: from the earliest of their
///   first stored row, first completed date and planned start, to the latest of their last stored
///   row, last completed date and planned end (every task that could have had records there lies
///   inside). One backfill_requests row per distinct range (the leading manager plans it like
///   `finstream backfill`); symbols with no date at all (nothing stored or planned) are left to
///   the normal planning;
/// - a processor_resyncs row per re-planned symbol (see pending_resyncs).
/// Exactly once per overrun: a second call for the same claim finds the position moved.
std::optional<std::vector<replan_request>>
record_retention_overrun(connection& c, const retention_overrun& o,
                         const std::function<std::int32_t(const std::string&)>& partition_of);

/// The symbols whose computation must restart from scratch (processor_resyncs): symbol → the
/// earliest date of its re-plan. The first successful bar batch (seq 0) of a task of the symbol
/// that starts at or before that date restarts it; finish_resync then removes the row.
std::map<std::string, day_t> pending_resyncs(connection& c);

/// Removes the resync row of `symbol` if it still has start date `from` (a newer overrun of the
/// symbol keeps its own row). Idempotent.
void finish_resync(connection& c, const std::string& symbol, day_t from);

} // namespace finstream::pg
