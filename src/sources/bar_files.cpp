// Readers of bar data files: Yahoo chart API v8 bodies (simdjson DOM) and CSV exports (yfinance,
// plain OHLCV, finstream fetch output).
#include "sources/bar_files.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <simdjson.h>

namespace finstream {

namespace {

std::string location(const std::string& file, std::size_t line) {
  return line ? file + ":" + std::to_string(line) : file;
}

std::string printable(std::string_view s, std::size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > max) out += "...";
  return out;
}

void note_skip(read_report& report, const std::string& file, std::size_t line,
               const std::string& reason) {
  ++report.rows_skipped;
  if (report.first_skip_reason.empty())
    report.first_skip_reason = location(file, line) + ": " + reason;
}

bool valid_price(double v) {
  return std::isfinite(v) && v > 0;
}

/// A bar whose prices are valid but whose adjusted close is not: kept with adj_close NaN.
void note_adj_missing(read_report& report, const std::string& file, std::size_t line,
                      const std::string& what) {
  ++report.adj_closes_missing;
  if (report.first_adj_close_missing.empty())
    report.first_adj_close_missing = location(file, line) + ": " + what;
}

/// Sorts by date and keeps, for each date, the element that came last in input order
/// (stable sort + keep last of each run). Counts the replaced ones.
template <class T>
void sort_unique_last_wins(std::vector<T>& v, std::size_t& replaced) {
  std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.date < b.date; });
  std::vector<T> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i + 1 < v.size() && v[i + 1].date == v[i].date) {
      ++replaced;
      continue;
    }
    out.push_back(v[i]);
  }
  v.swap(out);
}

// ---- Yahoo chart JSON -----------------------------------------------------------------------

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

/// Field `key` of `obj`, or an invalid element when missing.
bool field(const object& obj, std::string_view key, element& out) {
  return obj.at_key(key).get(out) == simdjson::SUCCESS;
}

std::string string_field(const object& obj, std::string_view key) {
  std::string_view s;
  element e;
  if (field(obj, key, e) && e.get_string().get(s) == simdjson::SUCCESS) return std::string{s};
  return {};
}

/// Finds the error object of a Yahoo body: chart.error or finance.error when not null.
bool error_object(const object& root, object& err) {
  for (const char* top : {"chart", "finance"}) {
    element t, e;
    object to;
    if (field(root, top, t) && t.get_object().get(to) == simdjson::SUCCESS &&
        field(to, "error", e) && e.get_object().get(err) == simdjson::SUCCESS)
      return true;
  }
  return false;
}

/// The chart body inside a recorded exchange wrapper {request, response:{bodyJson}}, or `root`.
object unwrap(const object& root) {
  element resp, body;
  object ro, bo;
  if (!field(root, "chart", body) && !field(root, "finance", body) &&
      field(root, "response", resp) && resp.get_object().get(ro) == simdjson::SUCCESS &&
      field(ro, "bodyJson", body) && body.get_object().get(bo) == simdjson::SUCCESS)
    return bo;
  return root;
}

/// Reads array `arr` as optional doubles (null → NaN). Returns false on a non-number non-null.
bool number_array(const array& arr, std::vector<double>& out) {
  out.clear();
  for (element v : arr) {
    double d;
    if (v.is_null())
      out.push_back(std::nan(""));
    else if (v.get_double().get(d) == simdjson::SUCCESS)
      out.push_back(d);
    else
      return false;
  }
  return true;
}

struct yahoo_parse {
  bar_series series;
  std::optional<yahoo_trading_period> regular;
};

yahoo_parse parse_yahoo(std::string_view body, const std::string& name, read_report& report) {
  auto fail = [&](const std::string& reason) -> bar_file_error { return {name, 0, reason}; };
  simdjson::dom::parser parser;
  simdjson::padded_string padded{body};
  element doc;
  if (auto err = parser.parse(padded).get(doc))
    throw fail(std::string{"invalid JSON: "} + simdjson::error_message(err));
  object root;
  if (doc.get_object().get(root)) throw fail("JSON is not an object");
  root = unwrap(root);
  object err;
  if (error_object(root, err)) {
    auto code = string_field(err, "code"), desc = string_field(err, "description");
    throw fail("Yahoo error: " + printable(code, 60) + (desc.empty() ? "" : ": ") +
               printable(desc, 200));
  }
  element chart_e, result_e;
  object chart;
  array results;
  if (!field(root, "chart", chart_e) || chart_e.get_object().get(chart))
    throw fail("no 'chart' object");
  if (!field(chart, "result", result_e) || result_e.get_array().get(results) || results.size() == 0)
    throw fail("chart.result is missing or empty");
  object res;
  if (results.at(0).get_object().get(res)) throw fail("chart.result[0] is not an object");

  yahoo_parse out;
  bar_series& s = out.series;
  element meta_e;
  object meta;
  if (!field(res, "meta", meta_e) || meta_e.get_object().get(meta))
    throw fail("chart.result[0].meta is missing");
  s.symbol = string_field(meta, "symbol");
  s.meta.currency = string_field(meta, "currency");
  s.meta.exchange = string_field(meta, "exchangeName");
  s.meta.timezone = string_field(meta, "exchangeTimezoneName");
  if (s.meta.timezone.empty()) throw fail("meta.exchangeTimezoneName is missing");
  auto granularity = string_field(meta, "dataGranularity");
  if (!granularity.empty() && granularity != "1d")
    throw fail("not daily bars (dataGranularity " + printable(granularity) + ")");
  {
    element ctp, reg, st, en;
    object ctpo, rego;
    std::int64_t a, b;
    if (field(meta, "currentTradingPeriod", ctp) &&
        ctp.get_object().get(ctpo) == simdjson::SUCCESS && field(ctpo, "regular", reg) &&
        reg.get_object().get(rego) == simdjson::SUCCESS && field(rego, "start", st) &&
        st.get_int64().get(a) == simdjson::SUCCESS && field(rego, "end", en) &&
        en.get_int64().get(b) == simdjson::SUCCESS)
      out.regular = yahoo_trading_period{a, b};
  }
  const std::string& tz = s.meta.timezone;
  auto day_of = [&](std::int64_t ts) {
    try {
      return local_day(ts, tz);
    } catch (const std::exception& e) {
      throw fail(e.what());
    }
  };

  // indicators.quote[0] and indicators.adjclose[0].adjclose
  element ind_e, quote_e, adj_e;
  object ind, quote;
  array quotes;
  if (!field(res, "indicators", ind_e) || ind_e.get_object().get(ind))
    throw fail("chart.result[0].indicators is missing");
  if (!field(ind, "quote", quote_e) || quote_e.get_array().get(quotes) || quotes.size() == 0 ||
      quotes.at(0).get_object().get(quote))
    throw fail("indicators.quote[0] is missing");

  std::vector<double> cols[5]; // open high low close volume
  bool has_col[5] = {};
  const char* names[5] = {"open", "high", "low", "close", "volume"};
  for (int i = 0; i < 5; ++i) {
    element c;
    array a;
    if (!field(quote, names[i], c) || c.is_null()) continue;
    if (c.get_array().get(a) || !number_array(a, cols[i]))
      throw fail(std::string{"indicators.quote[0]."} + names[i] + " is not an array of numbers");
    has_col[i] = true;
  }
  std::vector<double> adj;
  bool has_adj = false;
  {
    array adjs;
    object a0;
    element inner;
    array ia;
    if (field(ind, "adjclose", adj_e) && adj_e.get_array().get(adjs) == simdjson::SUCCESS &&
        adjs.size() > 0 && adjs.at(0).get_object().get(a0) == simdjson::SUCCESS &&
        field(a0, "adjclose", inner) && !inner.is_null()) {
      if (inner.get_array().get(ia) || !number_array(ia, adj))
        throw fail("indicators.adjclose[0].adjclose is not an array of numbers");
      has_adj = true;
    }
  }

  element ts_e;
  array ts_arr;
  if (!field(res, "timestamp", ts_e) || ts_e.is_null()) {
    // An empty range: meta only and quote: [{}]. Quotes without timestamps are garbled.
    for (int i = 0; i < 5; ++i)
      if (!cols[i].empty()) throw fail("quotes without timestamps");
    if (has_adj && !adj.empty()) throw fail("quotes without timestamps");
  } else {
    if (ts_e.get_array().get(ts_arr)) throw fail("chart.result[0].timestamp is not an array");
    std::vector<std::int64_t> ts;
    for (element v : ts_arr) {
      std::int64_t t;
      if (v.is_null())
        ts.push_back(INT64_MIN);
      else if (v.get_int64().get(t) == simdjson::SUCCESS)
        ts.push_back(t);
      else
        throw fail("timestamp is not an array of integers");
    }
    const std::size_t n = ts.size();
    for (int i = 0; i < 4; ++i)
      if (!has_col[i] || cols[i].size() != n)
        throw fail(std::string{"indicators.quote[0]."} + names[i] + " has " +
                   std::to_string(cols[i].size()) + " values for " + std::to_string(n) +
                   " timestamps");
    if (has_col[4] && cols[4].size() != n)
      throw fail("indicators.quote[0].volume has " + std::to_string(cols[4].size()) +
                 " values for " + std::to_string(n) + " timestamps");
    if (has_adj && adj.size() != n)
      throw fail("indicators.adjclose has " + std::to_string(adj.size()) + " values for " +
                 std::to_string(n) + " timestamps");
    s.bars.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      ++report.rows_read;
      auto where = [i] { return "bar " + std::to_string(i); };
      if (ts[i] == INT64_MIN) {
        note_skip(report, name, 0, where() + ": null timestamp");
        continue;
      }
      bar b;
      b.date = day_of(ts[i]);
      b.open = cols[0][i];
      b.high = cols[1][i];
      b.low = cols[2][i];
      b.close = cols[3][i];
      b.adj_close = has_adj ? adj[i] : b.close;
      if (!valid_price(b.open) || !valid_price(b.high) || !valid_price(b.low) ||
          !valid_price(b.close)) {
        note_skip(report, name, 0,
                  where() + " (" + format_date(b.date) + "): null or non-positive price");
        continue;
      }
      if (!valid_price(b.adj_close)) {
        note_adj_missing(report, name, 0, where() + " (" + format_date(b.date) + ")");
        b.adj_close = std::nan("");
      }
      double v = has_col[4] ? cols[4][i] : std::nan("");
      if (std::isnan(v)) {
        ++report.volumes_missing;
        v = 0;
      } else if (!(v >= 0) || v > 9.2e18) {
        note_skip(report, name, 0, where() + " (" + format_date(b.date) + "): invalid volume");
        continue;
      }
      b.volume = static_cast<std::int64_t>(std::llround(v));
      s.bars.push_back(b);
    }
    sort_unique_last_wins(s.bars, report.duplicates_replaced);
  }

  // events.dividends / events.splits: objects keyed by epoch strings.
  element ev_e;
  object events;
  if (field(res, "events", ev_e) && ev_e.get_object().get(events) == simdjson::SUCCESS) {
    auto event_time = [&](std::string_view key, const object& o) {
      element d;
      std::int64_t t;
      if (field(o, "date", d) && d.get_int64().get(t) == simdjson::SUCCESS) return t;
      auto r = std::from_chars(key.data(), key.data() + key.size(), t);
      if (r.ec != std::errc{} || r.ptr != key.data() + key.size())
        throw fail("event key '" + printable(key) + "' is not an epoch");
      return t;
    };
    element group;
    object go;
    if (field(events, "dividends", group) && group.get_object().get(go) == simdjson::SUCCESS) {
      for (auto kv : go) {
        object o;
        element a;
        double amount;
        if (kv.value.get_object().get(o) || !field(o, "amount", a) || a.get_double().get(amount))
          continue; // a dividend without an amount carries no information
        s.dividends.push_back({day_of(event_time(kv.key, o)), amount});
      }
    }
    if (field(events, "splits", group) && group.get_object().get(go) == simdjson::SUCCESS) {
      for (auto kv : go) {
        object o;
        element n, d;
        double num, den;
        if (kv.value.get_object().get(o) || !field(o, "numerator", n) || n.get_double().get(num) ||
            !field(o, "denominator", d) || d.get_double().get(den) || !(num > 0) || !(den > 0))
          continue;
        s.splits.push_back({day_of(event_time(kv.key, o)), num, den});
      }
    }
    std::size_t ignored = 0;
    sort_unique_last_wins(s.dividends, ignored);
    sort_unique_last_wins(s.splits, ignored);
  }
  return out;
}

// ---- CSV ------------------------------------------------------------------------------------
// Hand-written: none of the allowed Debian packages ships a CSV reader, and the formats here are
// unquoted numeric tables (pandas' to_csv output).

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = line.find(',', start);
    auto f = line.substr(start, comma == std::string_view::npos ? line.npos : comma - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t'))
      f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t'))
      f.remove_suffix(1);
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    out.push_back(f);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

/// Header name → canonical key: lower case, without blanks and underscores ("Adj Close" →
/// "adjclose", "Datetime" → "datetime").
std::string canonical(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

enum col {
  c_date,
  c_open,
  c_high,
  c_low,
  c_close,
  c_adj,
  c_volume,
  c_symbol,
  c_dividends,
  c_splits,
  c_count
};

/// Parses a number the way pandas writes it (also "inf", "nan", exponents); false when the whole
/// field is not a number. Empty → false.
bool parse_number(std::string_view f, double& out) {
  if (f.empty()) return false;
  const char* b = f.data();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, f.data() + f.size(), out);
  return r.ec == std::errc{} && r.ptr == f.data() + f.size();
}

/// "2022-06-06", "2022-06-06 00:00:00+01:00", "2022-06-06T00:00:00" → the date part as written.
std::optional<day_t> parse_csv_date(std::string_view f) {
  if (f.size() > 10 && f[10] != ' ' && f[10] != 'T') return std::nullopt;
  return parse_date(f.substr(0, std::min<std::size_t>(f.size(), 10)));
}

struct next_line {
  std::string_view text;
  std::size_t pos = 0;
  bool get(std::string_view& line) {
    if (pos >= text.size()) return false;
    auto nl = text.find('\n', pos);
    line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }
};

std::string_view strip_bom(std::string_view s) {
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF &&
      static_cast<unsigned char>(s[1]) == 0xBB && static_cast<unsigned char>(s[2]) == 0xBF)
    s.remove_prefix(3);
  return s;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

} // namespace

bar_file_error::bar_file_error(const std::string& file, std::size_t line, const std::string& reason)
    : std::runtime_error(location(file, line) + ": " + reason)
    , file_(file)
    , line_(line)
    , reason_(reason) {}

bar_file_format detect_bar_format(std::string_view content) {
  content = strip_bom(content);
  auto first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{')
    return bar_file_format::yahoo_chart_json;
  next_line lines{content.substr(first == std::string_view::npos ? content.size() : first)};
  std::string_view header;
  lines.get(header);
  for (auto f : split_fields(header))
    if (f == "Date" || f == "Datetime" || f.find(' ') != std::string_view::npos)
      return bar_file_format::yfinance_csv;
  return bar_file_format::plain_csv;
}

std::optional<yahoo_body_error> find_yahoo_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{body};
  element doc;
  object root, err;
  if (parser.parse(padded).get(doc) || doc.get_object().get(root)) return std::nullopt;
  if (!error_object(unwrap(root), err)) return std::nullopt;
  return yahoo_body_error{printable(string_field(err, "code"), 60),
                          printable(string_field(err, "description"), 200)};
}

bar_series parse_yahoo_chart(std::string_view body, const std::string& name, read_report& report) {
  return parse_yahoo(body, name, report).series;
}

bar_series parse_yahoo_chart(std::string_view body, const std::string& name, read_report& report,
                             std::optional<yahoo_trading_period>& regular_period) {
  auto p = parse_yahoo(body, name, report);
  regular_period = p.regular;
  return std::move(p.series);
}

bar_series parse_bar_csv(std::string_view text, const std::string& name, read_report& report) {
  text = strip_bom(text);
  next_line lines{text};
  std::string_view line;
  std::size_t line_no = 0;
  bool have_header = false;
  while (lines.get(line)) {
    ++line_no;
    if (!blank(line)) {
      have_header = true;
      break;
    }
  }
  if (!have_header) throw bar_file_error(name, 0, "empty file");

  int index[c_count];
  std::fill(std::begin(index), std::end(index), -1);
  const auto header = split_fields(line);
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto key = canonical(header[i]);
    int c = -1;
    if (key == "date" || key == "datetime")
      c = c_date;
    else if (key == "open")
      c = c_open;
    else if (key == "high")
      c = c_high;
    else if (key == "low")
      c = c_low;
    else if (key == "close")
      c = c_close;
    else if (key == "adjclose")
      c = c_adj;
    else if (key == "volume")
      c = c_volume;
    else if (key == "symbol")
      c = c_symbol;
    else if (key == "dividends")
      c = c_dividends;
    else if (key == "stocksplits")
      c = c_splits;
    if (c < 0)
      continue; // extra columns (Dividends, Stock Splits, Capital Gains, Repaired?) are ignored
    if (index[c] >= 0)
      throw bar_file_error(name, line_no, "column '" + printable(header[i]) + "' appears twice");
    index[c] = static_cast<int>(i);
  }
  if (index[c_date] < 0) throw bar_file_error(name, line_no, "no Date/Datetime column in header");
  const char* required[] = {"", "Open", "High", "Low", "Close", "", "Volume"};
  for (int c : {c_open, c_high, c_low, c_close, c_volume})
    if (index[c] < 0)
      throw bar_file_error(name, line_no, std::string{"no "} + required[c] + " column in header");

  bar_series s;
  while (lines.get(line)) {
    ++line_no;
    if (blank(line)) continue;
    ++report.rows_read;
    const auto f = split_fields(line);
    if (f.size() != header.size()) {
      note_skip(report, name, line_no,
                "expected " + std::to_string(header.size()) + " fields, found " +
                    std::to_string(f.size()));
      continue;
    }
    auto date = parse_csv_date(f[index[c_date]]);
    if (!date) {
      note_skip(report, name, line_no, "bad date '" + printable(f[index[c_date]]) + "'");
      continue;
    }
    bar b;
    b.date = *date;
    double* prices[] = {nullptr, &b.open, &b.high, &b.low, &b.close, &b.adj_close};
    const char* what[] = {"", "open", "high", "low", "close", "adj_close"};
    bool ok = true;
    for (int c = c_open; c <= c_close && ok; ++c) {
      if (!parse_number(f[index[c]], *prices[c]) || !valid_price(*prices[c])) {
        note_skip(report, name, line_no,
                  std::string{"missing, non-numeric or non-positive "} + what[c] + " '" +
                      printable(f[index[c]]) + "'");
        ok = false;
      }
    }
    if (!ok) continue;
    if (index[c_adj] < 0) {
      b.adj_close = b.close;
    } else if (!parse_number(f[index[c_adj]], b.adj_close) || !valid_price(b.adj_close)) {
      note_adj_missing(report, name, line_no, "adj_close '" + printable(f[index[c_adj]]) + "'");
      b.adj_close = std::nan("");
    }
    double v;
    auto vf = f[index[c_volume]];
    if (vf.empty() || (parse_number(vf, v) && std::isnan(v))) {
      ++report.volumes_missing;
      v = 0;
    } else if (!parse_number(vf, v) || !(v >= 0) || v > 9.2e18) {
      note_skip(report, name, line_no, "invalid volume '" + printable(vf) + "'");
      continue;
    }
    b.volume = static_cast<std::int64_t>(std::llround(v));
    if (index[c_symbol] >= 0) {
      auto sym = f[index[c_symbol]];
      if (s.symbol.empty())
        s.symbol = std::string{sym};
      else if (sym != s.symbol)
        throw bar_file_error(name, line_no,
                             "several symbols in one file ('" + printable(s.symbol) + "', '" +
                                 printable(sym) + "')");
    }
    // yfinance's event columns: 0 means none; prices are already adjusted for them.
    double ev;
    if (index[c_dividends] >= 0 && parse_number(f[index[c_dividends]], ev) && ev > 0 &&
        std::isfinite(ev))
      s.dividends.push_back({b.date, ev});
    if (index[c_splits] >= 0 && parse_number(f[index[c_splits]], ev) && ev > 0 &&
        std::isfinite(ev) && ev != 1)
      s.splits.push_back({b.date, ev, 1});
    s.bars.push_back(b);
  }
  sort_unique_last_wins(s.bars, report.duplicates_replaced);
  std::size_t ignored = 0;
  sort_unique_last_wins(s.dividends, ignored);
  sort_unique_last_wins(s.splits, ignored);
  return s;
}

bar_series read_bar_file(const std::string& path, read_report& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bar_file_error(path, 0, "cannot open file");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw bar_file_error(path, 0, "read error");
  const std::string text = buf.str();
  if (detect_bar_format(text) == bar_file_format::yahoo_chart_json)
    return parse_yahoo_chart(text, path, report);
  return parse_bar_csv(text, path, report);
}

} // namespace finstream
