// Reads of the chart page (see chart_data.hpp).
#include "ui/chart_data.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/symbol.hpp"
#include "ui/stored_columns.hpp"

namespace finstream::ui {

namespace {

double number_or_nan(const pg::result& r, int row, int col) {
  return r.is_null(row, col) ? std::nan("") : r.float8(row, col);
}

// A float8[] in PostgreSQL's text form ("{1.5,2,NULL}").
std::vector<double> parse_float_array(std::string_view text) {
  std::vector<double> out;
  if (text.size() < 2) return out;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    double v = std::nan("");
    if (item != "NULL") std::from_chars(item.data(), item.data() + item.size(), v);
    out.push_back(v);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

} // namespace

symbol_list load_symbol_list(pg::connection& c, const read_limits& limits) {
  return read_only(c, limits, [&] {
    symbol_list out;
    // Symbols planned by a manager, plus any stored without one (rows written by other means).
    // Each symbol's last rows come from the primary key index (one short scan per symbol).
    auto r = c.query(
        "WITH known AS ("
        "  SELECT symbol, status FROM symbol_state"
        "  UNION ALL"
        "  SELECT DISTINCT t.symbol, 'done' FROM technical_indicators t"
        "  WHERE NOT EXISTS (SELECT 1 FROM symbol_state s WHERE s.symbol = t.symbol)"
        "), listed AS (SELECT symbol, status, count(*) OVER () AS total FROM known"
        "  ORDER BY symbol LIMIT $1) "
        "SELECT l.symbol, l.status, l.total, last.date::text, last.close, last.rsi, last.macd,"
        "  last.macd_signal, spark.closes[cardinality(spark.closes) - 1], spark.closes "
        "FROM listed l "
        "LEFT JOIN LATERAL (SELECT date, close, rsi, macd, macd_signal FROM technical_indicators t"
        "  WHERE t.symbol = l.symbol ORDER BY date DESC LIMIT 1) last ON true "
        "LEFT JOIN LATERAL (SELECT array_agg(close ORDER BY date) AS closes FROM"
        "  (SELECT date, close FROM technical_indicators t WHERE t.symbol = l.symbol"
        "   ORDER BY date DESC LIMIT $2) x) spark ON true "
        "ORDER BY l.symbol",
        static_cast<long long>(limits.max_symbols), static_cast<long long>(limits.spark_bars));
    for (int i = 0; i < r.rows(); ++i) {
      symbol_summary s;
      s.symbol = r.str(i, 0);
      s.status = r.str(i, 1);
      out.total = static_cast<std::size_t>(r.int64(i, 2));
      if (!r.is_null(i, 3)) s.last_date = r.str(i, 3);
      s.close = number_or_nan(r, i, 4);
      s.rsi = number_or_nan(r, i, 5);
      s.macd = number_or_nan(r, i, 6);
      s.macd_signal = number_or_nan(r, i, 7);
      s.prev_close = number_or_nan(r, i, 8);
      if (!r.is_null(i, 9)) s.spark = parse_float_array(r.text(i, 9));
      out.symbols.push_back(std::move(s));
    }
    return out;
  });
}

std::optional<series> load_series(pg::connection& c, const std::string& symbol,
                                  std::optional<day_t> from, std::optional<day_t> to,
                                  int default_days,
                                  const std::vector<std::string>& indicator_columns,
                                  const read_limits& limits) {
  require_valid_symbol(symbol, "chart");
  return read_only(c, limits, [&]() -> std::optional<series> {
    const auto stored = stored_indicator_columns(c);
    std::string select = "date::text, open, high, low, close, volume::float8";
    std::vector<std::string> names{"open", "high", "low", "close", "volume"};
    for (const auto& col : indicator_columns) {
      if (std::find(stored.begin(), stored.end(), col) == stored.end())
        throw std::invalid_argument("no stored indicator column '" + col + "'");
      select += ", " + pg::quote_identifier(c, col);
      names.push_back(col);
    }
    auto span = c.query("SELECT min(date)::text, max(date)::text FROM technical_indicators "
                        "WHERE symbol = $1",
                        symbol);
    if (span.rows() == 0 || span.is_null(0, 0)) return std::nullopt;
    series s;
    s.symbol = symbol;
    s.first_date = span.str(0, 0);
    s.last_date = span.str(0, 1);
    day_t last = to ? *to : *parse_date(s.last_date);
    day_t first = from ? *from : last - default_days;
    // The newest max_bars + 1 bars of the range (one more tells whether it was cut), newest first.
    auto r = c.query("SELECT " + select +
                         " FROM technical_indicators WHERE symbol = $1 AND date >= $2::date"
                         " AND date <= $3::date ORDER BY date DESC LIMIT $4",
                     symbol, format_date(first), format_date(last),
                     static_cast<long long>(limits.max_bars + 1));
    int n = r.rows();
    if (static_cast<std::size_t>(n) > limits.max_bars) {
      s.truncated = true;
      n = static_cast<int>(limits.max_bars);
    }
    s.dates.reserve(static_cast<std::size_t>(n));
    for (int i = n - 1; i >= 0; --i)
      s.dates.push_back(r.str(i, 0));
    for (std::size_t k = 0; k < names.size(); ++k) {
      auto& v = s.columns[names[k]];
      v.reserve(static_cast<std::size_t>(n));
      for (int i = n - 1; i >= 0; --i)
        v.push_back(number_or_nan(r, i, static_cast<int>(k) + 1));
    }
    return s;
  });
}

} // namespace finstream::ui
