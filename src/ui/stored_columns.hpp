// Which indicator outputs table technical_indicators holds, and under which column: the bridge
// between indicator specs (as `finstream indicators` names its columns) and the stored schema.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "indicators/indicator_set.hpp"
#include "pg/connection.hpp"

namespace finstream::ui {

/// The price columns of technical_indicators, in table order (not indicator outputs).
inline constexpr const char* price_columns[] = {"open", "high", "low", "close", "adj_close"};

/// The double-precision columns of technical_indicators (in the connection's search_path) other
/// than the price columns, in table order: the stored indicator outputs. One catalogue query.
std::vector<std::string> stored_indicator_columns(pg::connection& c);

/// One output of an indicator set and the stored column that holds it.
struct resolved_column {
  std::string name;   // as `finstream indicators` names it: rsi_14, macd_signal_12_26_9, obv
  std::string column; // in technical_indicators: rsi_14, or the original schema's bare rsi
};

/// For each output of `set`, in order: the stored column named like the CLI's column (`sma_20`),
/// else its column as indicators::table_columns names it (`sma_50`; the bare `sma` for the
/// default set's SMA(20), as the original schema has it).
/// Throws std::invalid_argument naming the first output that is not stored and what is.
std::vector<resolved_column> resolve_columns(const indicators::indicator_set& set,
                                             const std::vector<std::string>& stored);

/// The name a stored column is shown under: the CLI's column name (`rsi` → `rsi_14`), else the
/// column itself.
std::string display_name(const std::string& column);

} // namespace finstream::ui
