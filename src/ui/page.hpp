// HTML of the chart page: the symbol list, one symbol's chart (server-side SVG with its data as
// JSON for the hover read-out) and error pages. Pure functions of their input: no I/O, no state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ui/chart_data.hpp"

namespace finstream::ui {

/// Range presets of the chart, in display order: key ("1y") and calendar days (0 = everything).
struct range_preset {
  const char* key;
  const char* label;
  int days;
};
const std::vector<range_preset>& range_presets();
/// The preset of `key`, or nullptr.
const range_preset* find_range(std::string_view key);

/// Which stored column draws what; empty strings for what is not stored.
struct chart_columns {
  std::string sma, ema;                      // moving averages over the price
  std::string bb_upper, bb_middle, bb_lower; // Bollinger bands
  std::string rsi;                           // RSI panel (30/70 lines)
  std::string macd, macd_signal, macd_hist;  // MACD panel
  std::vector<std::string> extras;           // chosen other stored columns
  /// Every stored column offered as an extra: (column, display name).
  std::vector<std::pair<std::string, std::string>> available;
  /// Every column above that is not empty (what load_series must read).
  std::vector<std::string> all() const;
};

/// The chart's request as the page's controls show it.
struct chart_query {
  std::string range = "1y"; // a preset key, or "" when from/to are given
  std::string from, to;     // YYYY-MM-DD or ""
};

std::string render_index(const symbol_list& list);
std::string render_chart(const series& s, const chart_columns& cols, const chart_query& q);
/// A complete page for an error: status line, a sentence, a link back to the list.
std::string render_error(int status, std::string_view title, std::string_view message);

/// `&`, `<`, `>`, `"`, `'` escaped for HTML text and attribute values.
std::string html_escape(std::string_view text);

} // namespace finstream::ui
