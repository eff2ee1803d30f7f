// Readers of bar data files: Yahoo chart API response bodies, yfinance CSV exports, plain OHLCV CSV.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/bar.hpp"

namespace finstream {

/// A file that cannot be read as bars at all. what() is one line naming the file, the line (when
/// known) and the reason, e.g. "data.csv:1: no Date/Datetime column in header".
class bar_file_error : public std::runtime_error {
public:
  bar_file_error(const std::string& file, std::size_t line, const std::string& reason);
  const std::string& file() const { return file_; }
  std::size_t line() const { return line_; } // 0 when not line-oriented
  const std::string& reason() const { return reason_; }

private:
  std::string file_;
  std::size_t line_;
  std::string reason_;
};

/// What a reader dropped while reading: rows with missing, non-numeric or non-positive prices,
/// rows whose date repeats an earlier one (the last one wins), bars with null prices.
struct read_report {
  std::size_t rows_read = 0;
  std::size_t rows_skipped = 0;
  std::size_t duplicates_replaced = 0;
  std::string first_skip_reason; // "file:line: reason" of the first skipped row, empty when none
};

enum class bar_file_format { yahoo_chart_json, yfinance_csv, plain_csv };

/// Detects the format from the content (JSON object vs CSV header).
bar_file_format detect_bar_format(std::string_view content);

/// Parses a Yahoo chart API v8 response body ({"chart":{"result":[...]}}). Bars get the
/// exchange-local date of their timestamp (meta.exchangeTimezoneName); bars with a null price are
/// skipped (never forward-filled); events are returned in the series. Throws bar_file_error.
bar_series parse_yahoo_chart(std::string_view body, const std::string& name, read_report& report);

/// Parses a yfinance export (Date or Datetime column, optionally with a UTC offset; extra columns
/// ignored) or a plain `date,open,high,low,close,volume` CSV (adj_close optional). Output sorted
/// ascending; duplicate dates keep the last row. Throws bar_file_error.
bar_series parse_bar_csv(std::string_view text, const std::string& name, read_report& report);

/// Reads `path` and dispatches on detect_bar_format. Throws bar_file_error (also for I/O errors).
bar_series read_bar_file(const std::string& path, read_report& report);

} // namespace finstream
