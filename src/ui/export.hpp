// Stored rows of technical_indicators as CSV, streamed from PostgreSQL with COPY TO: the layout of
// `finstream indicators` with a leading symbol column and adj_close.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"

namespace finstream::ui {

struct export_request {
  /// Valid symbols (core/symbol.hpp); empty = every stored symbol.
  std::vector<std::string> symbols;
  std::optional<day_t> from; // first date, inclusive; nullopt = the first stored
  std::optional<day_t> to;   // last date, inclusive; nullopt = the last stored
  /// Indicator spec as `finstream indicators --indicators` takes it; every output must be stored
  /// (see resolve_columns).
  std::string spec;
};

/// The CSV header line (with its newline) and the stored columns selected, for `r`'s spec on the
/// database of `c`. Throws std::invalid_argument (bad spec, output not stored).
struct export_layout {
  std::string header;
  std::vector<std::string> columns; // stored indicator columns, in output order
};
export_layout export_layout_for(pg::connection& c, const std::string& spec);

/// Writes the header then every stored row of `r` as CSV lines to `sink`, ordered by symbol then
/// date: symbol,date,open,high,low,close,adj_close,volume,<outputs of the spec as `finstream
/// indicators` names them>; an empty cell for NULL; doubles in the shortest text that reads back
/// exactly. The rows come through one COPY TO in a read-only, repeatable-read transaction (one
/// consistent snapshot) and are handed on as they arrive: memory stays flat whatever the size.
/// Returns the number of rows. Throws std::invalid_argument (bad request), pg::pg_error, or what
/// `sink` throws (then the COPY is abandoned).
std::int64_t export_csv(pg::connection& c, const export_request& r,
                        const std::function<void(std::string_view)>& sink);

} // namespace finstream::ui
