// Changing the active indicator set stored in PostgreSQL: shared by `finstream migrate` (the
// configured `indicators`) and `finstream indicators-set add|remove|list`.
#pragma once

#include <string>

#include "indicators/indicator_set.hpp"
#include "pg/connection.hpp"

namespace finstream::cli {

/// The stored active set (the default set when none is stored).
indicators::indicator_set stored_indicator_set(pg::connection& c);

/// Makes `set` the active set (pg::write_indicator_set with its stored columns; a fill is recorded
/// when it has indicators the stored set lacks) and returns a one-line summary of what changed.
/// Throws indicators::spec_error when an output cannot be a column (fractional parameters).
std::string apply_indicator_set(pg::connection& c, const indicators::indicator_set& set);

} // namespace finstream::cli
