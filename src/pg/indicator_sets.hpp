// The active indicator set in PostgreSQL (table indicator_set, migration 7) and the fill work a
// change leaves (indicator_fill_pending): read by processors, changed by `finstream migrate` and
// `finstream indicators-set`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace finstream::pg {

/// pg_advisory_xact_lock key serializing set changes (exclusive) with the sink's commits of
/// processor states (shared): a state committed by a processor still on an older set is either
/// seen by the change's fill list or sees the change's version (and lists itself).
inline constexpr const char* indicator_set_lock_key = "7379550906392733044"; // "finsiset"

struct stored_indicator_set {
  std::string spec;         // canonical spec (indicators::indicator_set::spec())
  std::int64_t version = 0; // bumped by every change
};

/// The active set; nullopt when none is stored (the default set applies) or when the schema
/// predates migration 7. One statement, autocommit, retried after a lost connection.
std::optional<stored_indicator_set> read_indicator_set(connection& c);

struct indicator_set_change {
  stored_indicator_set now;
  bool changed = false;        // the stored spec was another one (version bumped)
  std::vector<std::string> added_columns; // columns technical_indicators did not have
  std::int64_t fill_pending = 0; // symbols recorded for a fill by this change
};

/// Makes `spec` the active set, in one transaction serialized with other changes: adds each of
/// `columns` that technical_indicators lacks (double precision, NULL in existing rows: a catalogue
/// change, no table rewrite); when the stored spec differs, stores `spec` with the next version
/// and, when `adds_indicators`, records every symbol with a processor state in
/// indicator_fill_pending with that version. `columns` must be the set's stored columns
/// (indicators::table_columns: registry-derived names); each is checked to be a plain lower-case
/// identifier anyway (std::invalid_argument otherwise) before any SQL.
indicator_set_change write_indicator_set(connection& c, const std::string& spec,
                                         const std::vector<std::string>& columns,
                                         bool adds_indicators);

/// Symbols of indicator_fill_pending recorded by set versions up to `version`, ascending. Only
/// symbols with a processor state (a purged symbol's entry has nothing to fill).
std::vector<std::string> fill_pending_symbols(connection& c, std::int64_t version);

/// Symbols left to fill: entries in indicator_fill_pending of symbols with a processor state (0
/// when the table does not exist).
std::int64_t fill_pending_count(connection& c);

} // namespace finstream::pg
