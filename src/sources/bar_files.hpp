// Readers of bar data files: Yahoo chart API response bodies, yfinance CSV exports, plain OHLCV
// CSV.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
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
/// Prices are open, high, low and close: a row is skipped when any of them is missing, null,
/// non-numeric, infinite or <= 0, or when its volume is negative or not a number. A
/// missing/null/NaN volume with valid prices is NOT a reason to drop the bar (Yahoo reports null
/// volume for indices and some FX days): the bar keeps volume 0 and is counted in
/// `volumes_missing`. Nor is a broken adjusted close (missing, null, non-numeric, ±inf or <= 0, as
/// real yfinance exports carry around bad dividends): the bar keeps adj_close = NaN (stored as
/// NULL; indicators use close) and is counted in `adj_closes_missing`. Fractional volumes
/// ("15000.0") are rounded.
struct read_report {
  std::size_t rows_read = 0;    // data rows / bars seen (blank lines not counted)
  std::size_t rows_skipped = 0; // rows dropped for invalid content
  std::size_t duplicates_replaced = 0;
  std::size_t volumes_missing = 0; // bars kept with volume 0 because the volume was null/NaN/empty
  std::string first_skip_reason;   // "file:line: reason" of the first skipped row, empty when none
  std::size_t adj_closes_missing = 0; // bars kept with adj_close NaN (broken adjusted close)
  std::string first_adj_close_missing; // "file:line: value" of the first one, empty when none
};

enum class bar_file_format { yahoo_chart_json, yfinance_csv, plain_csv };

/// Detects the format from the content (JSON object vs CSV header).
bar_file_format detect_bar_format(std::string_view content);

/// Parses a Yahoo chart API v8 response body ({"chart":{"result":[...]}}). Bars get the
/// exchange-local date of their timestamp (meta.exchangeTimezoneName); bars with a null price are
/// skipped (never forward-filled); events are returned in the series. Throws bar_file_error.
/// Details: an empty range (no `timestamp`, `quote: [{}]`) gives no bars; quotes without
/// timestamps, arrays whose length differs from `timestamp`, a non-daily `dataGranularity`, a
/// missing exchangeTimezoneName or a body carrying chart.error / finance.error throw. Missing
/// `adjclose` → adj_close = close; a null one on a bar → NaN (see read_report). Dividends/splits
/// come from `events` (objects keyed by epoch strings), dated exchange-locally, ascending. Two
/// timestamps on one local date: the later one in the body wins. A recorded exchange wrapper
/// {"request":…, "response":{"bodyJson":{"chart":…}}} is unwrapped.
bar_series parse_yahoo_chart(std::string_view body, const std::string& name, read_report& report);

/// meta.currentTradingPeriod.regular of a chart body: the current (or last) regular session.
struct yahoo_trading_period {
  std::int64_t start = 0; // epoch seconds
  std::int64_t end = 0;
};

/// Same, also returning meta.currentTradingPeriod.regular (nullopt when absent), which the Yahoo
/// client uses to drop the bar of a session that has not closed yet.
bar_series parse_yahoo_chart(std::string_view body, const std::string& name, read_report& report,
                             std::optional<yahoo_trading_period>& regular_period);

/// The error a Yahoo JSON body carries under chart.error or finance.error, e.g. {"Not Found", "No
/// data found, symbol may be delisted"}; nullopt when the body is not JSON or has no error.
/// Strings are truncated and made printable (safe for one-line messages).
struct yahoo_body_error {
  std::string code;
  std::string description;
};
std::optional<yahoo_body_error> find_yahoo_error(std::string_view body);

/// Parses a yfinance export (Date or Datetime column, optionally with a UTC offset; extra columns
/// ignored) or a plain `date,open,high,low,close,volume` CSV (adj_close optional). Output sorted
/// ascending; duplicate dates keep the last row. Throws bar_file_error.
/// Details: column names match case-insensitively ignoring blanks and '_' ("Adj Close" =
/// adj_close), in any order. A date field is `YYYY-MM-DD` optionally followed by ' ' or 'T' and a
/// time with a UTC offset; the date part is taken as written (exchange-local, like yfinance).
/// Without an adj close column adj_close = close. An optional `symbol` column (finstream fetch
/// output) sets bar_series::symbol; a file with two different symbols throws. Otherwise symbol
/// stays empty and meta is empty (the caller knows what it read). yfinance's `Dividends` / `Stock
/// Splits` columns (non-zero values of kept rows) become dividend / split events (a split ratio r →
/// r:1). Rows with a wrong field count or a bad date are skipped and counted like bad prices (see
/// read_report).
bar_series parse_bar_csv(std::string_view text, const std::string& name, read_report& report);

/// Reads `path` and dispatches on detect_bar_format. Throws bar_file_error (also for I/O errors).
bar_series read_bar_file(const std::string& path, read_report& report);

} // namespace finstream
