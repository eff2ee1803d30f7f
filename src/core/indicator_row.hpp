// One row of table technical_indicators: a bar plus the outputs of the active indicator set.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/bar.hpp"

namespace finstream {

/// The indicator columns migration 1 creates, in table order: the original project's columns
/// (rsi = RSI(14), macd* = MACD(12,26,9)) and the other outputs of the default indicator set with
/// its default parameters. Other configured outputs get columns named by their parameters (see
/// indicators/table_columns.hpp).
inline constexpr std::array<const char*, 19> indicator_columns = {
    "rsi",       "macd",     "macd_signal", "macd_hist", "sma",     "ema", "bb_upper",
    "bb_middle", "bb_lower", "atr",         "stoch_k",   "stoch_d", "obv", "adx",
    "plus_di",   "minus_di", "cci",         "willr",     "mfi"};

inline constexpr std::size_t indicator_column_count = indicator_columns.size();

/// The default set's columns as a list (what rows carry when the set is the default one).
inline std::vector<std::string> default_indicator_columns() {
  return {indicator_columns.begin(), indicator_columns.end()};
}

/// A result row. `values[i]` belongs to the i-th indicator column of the list the rows travel
/// with (pending_output::columns, pg::batch::columns); NaN means "no value" (SQL NULL), e.g.
/// during an indicator's warm-up.
struct indicator_row {
  std::string symbol;
  bar b;
  std::vector<double> values;
};

/// Rows that set only some indicator columns of rows already stored (the fill of indicators added
/// to the active set): `values` of each row follow `columns`; prices are not written.
struct column_fill {
  std::vector<std::string> columns;
  std::vector<indicator_row> rows;
};

} // namespace finstream
