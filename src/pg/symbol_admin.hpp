// Operator actions on symbols (`finstream symbols`): exclusions that every manager honours over
// the universe file, retries of failed symbols, and the purge of a dropped symbol's stored rows.
//
// Every function validates its symbols before any SQL (std::invalid_argument) and is idempotent.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace finstream::pg {

/// Excluded symbols (table symbol_exclusions), ascending.
std::vector<std::string> read_exclusions(connection& c);

/// Excludes `symbols` (already excluded ones are kept as they are). Returns the symbols newly
/// excluded, ascending.
std::vector<std::string> exclude_symbols(connection& c, const std::vector<std::string>& symbols);

/// Removes the exclusions of `symbols`. Returns the symbols that were excluded, ascending.
std::vector<std::string> include_symbols(connection& c, const std::vector<std::string>& symbols);

/// Makes failed symbols eligible for planning again, permanent failures included: status back to
/// done (pending when nothing is stored), attempts, error and outstanding range cleared. The
/// active manager plans their missing range at its next tick. Returns the symbols reset (those
/// that were failed), ascending.
std::vector<std::string> retry_symbols(connection& c, const std::vector<std::string>& symbols);

struct purge_result {
  std::size_t rows = 0;               // technical_indicators rows deleted
  std::size_t fenced_partitions = 0;  // processor_offsets claims whose epoch was bumped
};

/// Deletes what is stored of excluded `symbols` (indicator rows, processor state, symbol_state) in
/// one transaction, fenced like a processor claiming partitions: it bumps the owner epoch of every
/// claimed partition, so a sink batch prepared before the purge is refused (fenced; its processor
/// restarts from PostgreSQL's offsets), and it waits for a batch being committed to finish first
/// (the epoch update waits for that batch's row lock), so no such batch writes after the delete.
/// Purged symbols are marked (symbol_exclusions.purged_at) and the sink drops their rows while
/// they stay excluded, so replayed messages do not bring them back.
/// Throws std::invalid_argument, naming them, when some symbol is not excluded (drop it first).
purge_result purge_symbols(connection& c, const std::vector<std::string>& symbols);

} // namespace finstream::pg
