// The columns of table technical_indicators that hold an indicator set's outputs: the one place
// where an output's stored column name is decided.
#pragma once

#include <string>
#include <vector>

#include "indicators/indicator_set.hpp"

namespace finstream::indicators {

/// The stored column of each output of `set`, in output order. An output of an indicator that
/// equals the default set's indicator of the same name and parameters (RSI(14), MACD(12,26,9),
/// SMA(20), BBANDS(20,2), ...) keeps the original schema's bare name (rsi, macd_signal, bb_upper);
/// every other output is named by its parameters as `finstream indicators` names its CSV columns
/// (sma_50, rsi_7, bb_upper_20_2). So databases created with the default set stay valid, and a
/// column never holds values of other parameters than its name says. Every name matches
/// [a-z][a-z0-9_]* (checked: safe as an SQL identifier); throws spec_error otherwise.
std::vector<std::string> table_columns(const indicator_set& set);

/// The stored columns of indicator `i` of `set` (a slice of table_columns(set)).
std::vector<std::string> table_columns(const indicator_set& set, std::size_t i);

} // namespace finstream::indicators
