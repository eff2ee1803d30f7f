// One row of table technical_indicators: a bar plus the outputs of the default indicator set.
#pragma once

#include <array>
#include <cmath>
#include <string>

#include "core/bar.hpp"

namespace finstream {

/// Indicator columns of technical_indicators, in table order. The first four are the original
/// project's columns (rsi = RSI(14), macd* = MACD(12,26,9)); the rest are the other outputs of the
/// default indicator set. A column holds the output of that name whatever its configured periods.
inline constexpr std::array<const char*, 19> indicator_columns = {
    "rsi",       "macd",     "macd_signal", "macd_hist", "sma",     "ema", "bb_upper",
    "bb_middle", "bb_lower", "atr",         "stoch_k",   "stoch_d", "obv", "adx",
    "plus_di",   "minus_di", "cci",         "willr",     "mfi"};

inline constexpr std::size_t indicator_column_count = indicator_columns.size();

/// A result row. `values[i]` belongs to indicator_columns[i]; NaN means "no value" (SQL NULL),
/// e.g. during an indicator's warm-up.
struct indicator_row {
  std::string symbol;
  bar b;
  std::array<double, indicator_column_count> values;

  indicator_row() { values.fill(std::nan("")); }
};

} // namespace finstream
