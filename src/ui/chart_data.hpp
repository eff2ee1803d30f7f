// What the chart page reads from PostgreSQL: the symbol list with last values, and one symbol's
// series over a date range. Every read is one read-only transaction with a statement timeout and a
// bounded row count; symbols are validated and every value is a statement parameter.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"

namespace finstream::ui {

/// Limits of one page's reads.
struct read_limits {
  std::chrono::milliseconds statement_timeout{5000};
  std::size_t max_symbols = 2000; // rows of the symbol list
  std::size_t max_bars = 5000;    // bars of one chart (~20 years of trading days)
  std::size_t spark_bars = 60;    // closes of each symbol's sparkline on the list
};

/// One line of the symbol list.
struct symbol_summary {
  std::string symbol;
  std::string status;                        // symbol_state.status: pending, planned, done, failed
  std::optional<std::string> last_date;      // nullopt: no rows stored yet
  double close = 0, prev_close = 0;          // NaN when absent
  double rsi = 0, macd = 0, macd_signal = 0; // NaN when absent
  std::vector<double> spark;                 // last closes, oldest first
};

struct symbol_list {
  std::vector<symbol_summary> symbols;
  std::size_t total = 0; // symbols known (the list may be cut at max_symbols)
};

/// The symbols of symbol_state (and of technical_indicators), with their last stored values.
symbol_list load_symbol_list(pg::connection& c, const read_limits& limits);

/// One symbol's stored series over [from, to] (the last max_bars bars of it when longer).
struct series {
  std::string symbol;
  std::string first_date, last_date; // of everything stored for the symbol
  std::vector<std::string> dates;
  /// Column → one value per date (NaN for NULL): open, high, low, close, volume and the indicator
  /// columns asked for.
  std::map<std::string, std::vector<double>> columns;
  bool truncated = false; // the range held more than max_bars bars
};

/// nullopt when the symbol has no stored row. `symbol` must be valid (throws
/// std::invalid_argument otherwise); `indicator_columns` must be stored indicator columns (see
/// stored_columns.hpp; others throw std::invalid_argument). A nullopt `from` means `to` (or the
/// last stored date) minus `default_days`.
std::optional<series> load_series(pg::connection& c, const std::string& symbol,
                                  std::optional<day_t> from, std::optional<day_t> to,
                                  int default_days,
                                  const std::vector<std::string>& indicator_columns,
                                  const read_limits& limits);

/// Runs `work` in a read-only transaction whose statements are cancelled after
/// `limits.statement_timeout` (SQLSTATE 57014).
template <class F>
auto read_only(pg::connection& c, const read_limits& limits, F&& work) -> decltype(work()) {
  pg::transaction tx{c};
  c.exec("SET TRANSACTION READ ONLY");
  c.query("SELECT set_config('statement_timeout', $1, true)",
          std::to_string(limits.statement_timeout.count()));
  auto out = work();
  tx.commit();
  return out;
}

} // namespace finstream::ui
