// What a processor reads from PostgreSQL: its streaming states, a symbol's stored bars, and its
// partitions' positions (claiming them fences the previous owner).
//
// Every function runs one statement in autocommit through connection::with_retry (reconnects and
// repeats after a lost connection). Symbols are validated before any SQL: an invalid one throws
// std::invalid_argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bar.hpp"
#include "pg/batch.hpp"
#include "pg/connection.hpp"

namespace finstream::pg {

/// Stored processor_symbol_state rows of `symbols` (those that have one; in no particular order).
std::vector<symbol_state_update> load_symbol_state(connection& c,
                                                   const std::vector<std::string>& symbols);

/// Every stored bar of `symbol` (technical_indicators), ascending by date: the input of a full
/// recompute (e.g. after a split). Prices stored as NULL come back as NaN.
std::vector<bar> load_bars(connection& c, const std::string& symbol);

/// A partition's ownership after claim_partitions.
struct partition_claim {
  std::int32_t partition = 0;
  std::int64_t epoch = 0;                  // pass as offset_commit::epoch
  std::optional<std::int64_t> next_offset; // resume here; nullopt: nothing committed yet
};

/// Takes ownership of `partitions` of (group, topic): bumps each one's owner_epoch (creating rows
/// as needed) in one statement and returns the new epochs and stored positions, in the order of
/// `partitions`. Any batch carrying an older epoch for them is fenced from now on.
std::vector<partition_claim> claim_partitions(connection& c, const std::string& group,
                                              const std::string& topic,
                                              const std::vector<std::int32_t>& partitions);

/// The partition count of (group, topic) as PostgreSQL knows it: one past the highest partition
/// with a processor_offsets row. When the pair has no row yet, records `partitions` first (rows
/// 0..partitions-1, nothing committed) and returns it. Processors compare it with the topic's
/// current count: a different count means symbols moved between partitions (see
/// docs/operations.md, "Changing the partitions of the data topic").
int record_partition_layout(connection& c, const std::string& group, const std::string& topic,
                            int partitions);

} // namespace finstream::pg
