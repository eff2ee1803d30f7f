// HTML and SVG of the chart page (see page.hpp).
#include "ui/page.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

#include "indicators/indicator_set.hpp"
#include "ui/assets.hpp"
#include "ui/stored_columns.hpp"

namespace finstream::ui {

namespace {

// Geometry of the SVG (user units; the SVG scales to the page's width).
constexpr double svg_width = 1200;
constexpr double plot_left = 10;
constexpr double plot_right = 1128; // right of it: the value axis labels
constexpr double panel_gap = 10;
constexpr double x_axis_height = 26;

const char* const color_close = "#e6edf3";
const char* const color_sma = "#f0b429";
const char* const color_ema = "#4dabf7";
const char* const color_bb = "#b197fc";
const char* const color_up = "#22c39a";
const char* const color_down = "#f0616d";
const char* const color_rsi = "#e599f7";
const char* const color_macd = "#4dabf7";
const char* const color_signal = "#ffa94d";
const char* const extra_palette[] = {"#63e6be", "#ffd43b", "#ff8787", "#74c0fc",
                                     "#da77f2", "#a9e34b", "#ffa8a8", "#91a7ff"};

// Fixed-point text with at most `decimals` decimals, trailing zeros removed.
std::string fixed(double v, int decimals = 2) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (ec != std::errc{}) return "0";
  std::string s{buf, p};
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// Shortest exact text (JSON numbers), null for NaN.
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return indicators::format_number(v);
}

std::string with_commas(double v, int decimals) {
  std::string s = fixed(std::fabs(v), decimals);
  if (decimals > 0) {
    auto dot = s.find('.');
    std::string frac = dot == std::string::npos ? "" : s.substr(dot);
    if (frac.size() < static_cast<std::size_t>(decimals) + 1)
      frac = (frac.empty() ? "." : frac) +
             std::string(static_cast<std::size_t>(decimals) + 1 - (frac.empty() ? 1 : frac.size()),
                         '0');
    s = s.substr(0, dot);
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i && (s.size() - i) % 3 == 0) out += ',';
      out += s[i];
    }
    return (v < 0 ? "-" : "") + out + frac;
  }
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string compact(double v) {
  double a = std::fabs(v);
  if (a >= 1e9) return fixed(v / 1e9, 2) + "B";
  if (a >= 1e6) return fixed(v / 1e6, 2) + "M";
  if (a >= 1e3) return fixed(v / 1e3, 1) + "K";
  return fixed(v, 0);
}

std::string value_text(double v) {
  if (!std::isfinite(v)) return "-";
  double a = std::fabs(v);
  return with_commas(v, a >= 1000 ? 1 : a >= 1 ? 2 : 4);
}

// A vertical value scale of one panel.
struct scale {
  double lo = 0, hi = 1, top = 0, height = 1;
  double y(double v) const { return top + (hi - v) / (hi - lo) * height; }
};

// "Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target, double* step_out) {
  double span = hi - lo;
  double raw = span / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  std::vector<double> out;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  if (step_out) *step_out = step;
  return out;
}

int decimals_for(double step) {
  return std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 6);
}

// Range of the finite values of some series, or nothing.
struct extent {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  void add(const std::vector<double>& v) {
    for (double x : v)
      if (std::isfinite(x)) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
  }
  bool empty() const { return lo > hi; }
};

struct plot {
  std::size_t n;
  double step;
  double x(std::size_t i) const { return plot_left + (static_cast<double>(i) + 0.5) * step; }
};

// A polyline through the finite values; NaN breaks the line.
std::string line_path(const std::vector<double>& v, const plot& p, const scale& sc) {
  std::string d;
  bool pen = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      pen = false;
      continue;
    }
    d += pen ? 'L' : 'M';
    d += fixed(p.x(i)) + ',' + fixed(sc.y(v[i]));
    pen = true;
  }
  return d;
}

std::string series_path(const std::string& key, const std::vector<double>& v, const plot& p,
                        const scale& sc, const char* color, const char* extra = "") {
  return "<path class=\"l\" data-series=\"" + html_escape(key) + "\" stroke=\"" + color + "\"" +
         extra + " d=\"" + line_path(v, p, sc) + "\"/>\n";
}

// Vertical bars from `base` to each value, split by `up(i)` into two coloured paths.
std::string bar_paths(const std::string& key, const std::vector<double>& v, const plot& p,
                      const scale& sc, double base, const std::function<bool(std::size_t)>& up,
                      const char* up_color, const char* down_color, double opacity) {
  std::string d_up, d_down;
  const double yb = sc.y(base);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) continue;
    auto& d = up(i) ? d_up : d_down;
    d += 'M' + fixed(p.x(i)) + ',' + fixed(yb) + 'V' + fixed(sc.y(v[i]));
  }
  const std::string w = fixed(std::max(1.0, p.step * 0.72));
  auto one = [&](const std::string& d, const char* color, const char* part) {
    return "<path data-series=\"" + html_escape(key) + "\" data-part=\"" + part +
           "\" fill=\"none\" stroke=\"" + color + "\" stroke-opacity=\"" + fixed(opacity) +
           "\" stroke-width=\"" + w + "\" d=\"" + d + "\"/>\n";
  };
  return one(d_up, up_color, "up") + one(d_down, down_color, "down");
}

// Candles: wicks and bodies (up and down), for short ranges.
std::string candle_paths(const series& s, const plot& p, const scale& sc) {
  const auto& o = s.columns.at("open");
  const auto& h = s.columns.at("high");
  const auto& l = s.columns.at("low");
  const auto& c = s.columns.at("close");
  std::string wick_up, wick_down, body_up, body_down;
  const double half = std::max(0.8, p.step * 0.34);
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!std::isfinite(o[i]) || !std::isfinite(h[i]) || !std::isfinite(l[i]) ||
        !std::isfinite(c[i]))
      continue;
    bool up = c[i] >= o[i];
    const double x = p.x(i);
    (up ? wick_up : wick_down) +=
        'M' + fixed(x) + ',' + fixed(sc.y(h[i])) + 'V' + fixed(sc.y(l[i]));
    double y1 = sc.y(std::max(o[i], c[i])), y2 = sc.y(std::min(o[i], c[i]));
    if (y2 - y1 < 0.8) y2 = y1 + 0.8;
    (up ? body_up : body_down) += 'M' + fixed(x - half) + ',' + fixed(y1) + 'H' + fixed(x + half) +
                                  'V' + fixed(y2) + 'H' + fixed(x - half) + 'Z';
  }
  return std::string{"<path data-series=\"candles\" data-part=\"wick-up\" stroke=\""} + color_up +
         "\" d=\"" + wick_up +
         "\"/>\n<path data-series=\"candles\" data-part=\"wick-down\" stroke=\"" + color_down +
         "\" d=\"" + wick_down + "\"/>\n<path data-series=\"candles\" data-part=\"up\" fill=\"" +
         color_up + "\" d=\"" + body_up +
         "\"/>\n<path data-series=\"candles\" data-part=\"down\" fill=\"" + color_down + "\" d=\"" +
         body_down + "\"/>\n";
}

// A panel's frame: background, horizontal grid with value labels, title and legend.
struct legend_entry {
  std::string label;
  std::string color;
};

std::string panel_open(const std::string& id, const scale& sc, const std::string& title,
                       const std::vector<legend_entry>& legend, bool compact_labels,
                       const std::vector<double>& fixed_ticks = {}) {
  std::string out = "<g class=\"panel\" data-panel=\"" + html_escape(id) + "\" data-top=\"" +
                    fixed(sc.top, 3) + "\" data-height=\"" + fixed(sc.height, 3) +
                    "\" data-min=\"" + json_number(sc.lo) + "\" data-max=\"" + json_number(sc.hi) +
                    "\">\n";
  out += "<rect x=\"" + fixed(plot_left) + "\" y=\"" + fixed(sc.top) + "\" width=\"" +
         fixed(plot_right - plot_left) + "\" height=\"" + fixed(sc.height) +
         "\" fill=\"#0f151d\" stroke=\"#1f2a37\"/>\n";
  double step = 1;
  auto ticks = fixed_ticks.empty()
                   ? nice_ticks(sc.lo, sc.hi, std::max(2, static_cast<int>(sc.height / 42)), &step)
                   : fixed_ticks;
  int dec = fixed_ticks.empty() ? decimals_for(step) : 0;
  for (double t : ticks) {
    double y = sc.y(t);
    if (y < sc.top - 0.5 || y > sc.top + sc.height + 0.5) continue;
    out += "<line class=\"grid\" x1=\"" + fixed(plot_left) + "\" x2=\"" + fixed(plot_right) +
           "\" y1=\"" + fixed(y) + "\" y2=\"" + fixed(y) + "\"/>";
    out += "<text class=\"axis\" x=\"" + fixed(plot_right + 8) + "\" y=\"" + fixed(y + 4) + "\">" +
           (compact_labels ? compact(t) : with_commas(t, dec)) + "</text>\n";
  }
  out += "<text class=\"ptitle\" x=\"" + fixed(plot_left + 10) + "\" y=\"" + fixed(sc.top + 17) +
         "\">" + html_escape(title);
  for (const auto& e : legend)
    out += "<tspan class=\"legend\" dx=\"14\" fill=\"" + e.color + "\">\u25AC " +
           html_escape(e.label) + "</tspan>";
  out += "</text>\n";
  return out;
}

// "rsi_14" → "RSI(14)", "macd_signal_12_26_9" → "MACD signal(12,26,9)", "obv" → "OBV": the
// stored column's CLI name, for people.
std::string pretty(const std::string& column) {
  const std::string name = display_name(column);
  std::size_t cut = name.size();
  for (std::size_t i = 0; i + 1 < name.size(); ++i)
    if (name[i] == '_' && std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
      cut = i;
      break;
    }
  std::string head = name.substr(0, cut), out;
  auto us = head.find('_');
  std::string first = head.substr(0, us);
  for (char& ch : first)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  out = first;
  if (us != std::string::npos) {
    std::string rest = head.substr(us + 1);
    std::replace(rest.begin(), rest.end(), '_', ' ');
    out += ' ' + rest;
  }
  if (cut < name.size()) {
    std::string params = name.substr(cut + 1);
    std::replace(params.begin(), params.end(), '_', ',');
    out += '(' + params + ')';
  }
  return out;
}

bool is_price_overlay(const std::string& column) {
  for (const char* p : {"sma", "ema", "wma", "bb_upper", "bb_middle", "bb_lower"}) {
    std::string_view c{column}, pre{p};
    if (c == pre ||
        (c.size() > pre.size() && c.substr(0, pre.size()) == pre && c[pre.size()] == '_' &&
         std::isdigit(static_cast<unsigned char>(c[pre.size() + 1]))))
      return true;
  }
  return false;
}

// Month and year ticks on the time axis: indices of the first bar of a month (every k-th).
std::vector<std::pair<std::size_t, std::string>> time_ticks(const std::vector<std::string>& dates) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::vector<std::size_t> starts; // first bar of each month
  for (std::size_t i = 1; i < dates.size(); ++i)
    if (dates[i].compare(0, 7, dates[i - 1], 0, 7) != 0) starts.push_back(i);
  const std::size_t n_months = starts.size();
  int every = n_months <= 9 ? 1 : n_months <= 20 ? 2 : n_months <= 40 ? 3 : n_months <= 80 ? 6 : 12;
  if (n_months > 150) every = 24;
  if (n_months > 300) every = 60;
  std::vector<std::pair<std::size_t, std::string>> out;
  for (auto i : starts) {
    int month = std::stoi(dates[i].substr(5, 2));
    if ((month - 1) % std::min(every, 12) != 0) continue;
    int year = std::stoi(dates[i].substr(0, 4));
    if (every > 12 && year % (every / 12) != 0) continue;
    std::string label = every >= 12 ? dates[i].substr(0, 4)
                        : month == 1 || out.empty()
                            ? std::string{months[month - 1]} + " " + dates[i].substr(0, 4)
                            : std::string{months[month - 1]};
    out.emplace_back(i, label);
  }
  return out;
}

std::string page(std::string_view title, std::string_view crumbs, const std::string& body,
                 const char* script) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>" +
                    html_escape(title) + " · finstream</title><style>" + assets::css +
                    "</style></head>\n<body><header class=\"top\"><a class=\"brand\" "
                    "href=\"/\">fin<b>stream</b></a><span class=\"crumbs\">" +
                    std::string{crumbs} + "</span></header>\n<main>\n" + body + "</main>\n";
  if (script) out += std::string{"<script>"} + script + "</script>\n";
  out += "</body></html>\n";
  return out;
}

// The query of a range preset's link: the preset and the added columns.
std::string query_string(const std::vector<std::string>& extras, const std::string& range) {
  std::string out = "?range=" + range;
  for (const auto& e : extras)
    out += "&add=" + e;
  return out;
}

} // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

const std::vector<range_preset>& range_presets() {
  static const std::vector<range_preset> presets = {
      {"1m", "1M", 31},  {"3m", "3M", 92},   {"6m", "6M", 183}, {"1y", "1Y", 366},
      {"2y", "2Y", 731}, {"5y", "5Y", 1827}, {"all", "All", 0}};
  return presets;
}

const range_preset* find_range(std::string_view key) {
  for (const auto& p : range_presets())
    if (key == p.key) return &p;
  return nullptr;
}

std::vector<std::string> chart_columns::all() const {
  std::vector<std::string> out;
  for (const auto* c :
       {&sma, &ema, &bb_upper, &bb_middle, &bb_lower, &rsi, &macd, &macd_signal, &macd_hist})
    if (!c->empty()) out.push_back(*c);
  for (const auto& e : extras)
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  return out;
}

std::string render_index(const symbol_list& list) {
  std::string body = "<div class=\"headline\"><h1>Symbols</h1><span class=\"muted\">" +
                     std::to_string(list.total) + " symbol" + (list.total == 1 ? "" : "s") +
                     "</span></div>\n";
  if (list.symbols.empty()) {
    body += "<p class=\"muted\">Nothing stored yet: the pipeline has not planned or written any "
            "symbol in this database.</p>\n";
    return page("Symbols", "", body, nullptr);
  }
  body += "<input id=\"filter\" class=\"filter\" placeholder=\"Filter symbols…\" "
          "autocomplete=\"off\">\n<table class=\"symbols\"><thead><tr><th>Symbol</th><th>Last "
          "date</th><th>Close</th><th>Change</th><th>RSI</th><th>MACD</th><th>Signal</th><th>"
          "Last 60 bars</th></tr></thead>\n<tbody>\n";
  for (const auto& s : list.symbols) {
    const std::string sym = html_escape(s.symbol);
    body += "<tr data-symbol=\"" + sym + "\"><td class=\"sym\">";
    body += s.last_date ? "<a href=\"/chart/" + sym + "\">" + sym + "</a>" : sym;
    if (s.status == "failed") body += " <span class=\"pill failed\">failed</span>";
    if (!s.last_date) {
      body += " <span class=\"pill\">" + html_escape(s.status) +
              "</span></td><td class=\"muted\" colspan=\"7\">no rows stored yet</td></tr>\n";
      continue;
    }
    double chg = (std::isfinite(s.close) && std::isfinite(s.prev_close) && s.prev_close != 0)
                     ? (s.close / s.prev_close - 1) * 100
                     : std::nan("");
    const char* cls = !std::isfinite(chg) ? "muted" : chg >= 0 ? "up" : "down";
    body += "</td><td>" + html_escape(*s.last_date) + "</td><td>" + value_text(s.close) +
            "</td><td class=\"" + cls + "\">" +
            (std::isfinite(chg) ? (chg >= 0 ? "+" : "") + fixed(chg, 2) + "%" : "-") + "</td><td>" +
            (std::isfinite(s.rsi) ? fixed(s.rsi, 1) : "-") + "</td><td>" + value_text(s.macd) +
            "</td><td>" + value_text(s.macd_signal) + "</td><td class=\"spark\">";
    extent e;
    e.add(s.spark);
    if (!e.empty() && s.spark.size() > 1) {
      scale sc{e.lo, e.hi > e.lo ? e.hi : e.lo + 1, 2, 24};
      std::string pts;
      for (std::size_t i = 0; i < s.spark.size(); ++i)
        if (std::isfinite(s.spark[i]))
          pts += fixed(2 + 116.0 * static_cast<double>(i) / static_cast<double>(s.spark.size() - 1),
                       1) +
                 ',' + fixed(sc.y(s.spark[i]), 1) + ' ';
      bool up = s.spark.back() >= s.spark.front();
      body += std::string{"<svg width=\"120\" height=\"28\" viewBox=\"0 0 120 28\"><polyline "
                          "fill=\"none\" stroke-width=\"1.5\" stroke=\""} +
              (up ? color_up : color_down) + "\" points=\"" + pts + "\"/></svg>";
    }
    body += "</td></tr>\n";
  }
  body += "</tbody></table>\n";
  if (list.symbols.size() < list.total)
    body += "<p class=\"note\">Showing the first " + std::to_string(list.symbols.size()) + " of " +
            std::to_string(list.total) + " symbols; open any other as /chart/SYMBOL.</p>\n";
  return page("Symbols", "", body, assets::index_js);
}

std::string render_chart(const series& s, const chart_columns& cols, const chart_query& q) {
  const std::size_t n = s.dates.size();
  const plot p{n, (plot_right - plot_left) / static_cast<double>(std::max<std::size_t>(n, 1))};
  auto col = [&](const std::string& c) -> const std::vector<double>& {
    static const std::vector<double> none;
    auto i = s.columns.find(c);
    return c.empty() || i == s.columns.end() ? none : i->second;
  };
  const auto& close = col("close");
  struct readout_entry {
    std::string key, label, color;
  };
  std::vector<readout_entry> readout{{"open", "O", ""},
                                     {"high", "H", ""},
                                     {"low", "L", ""},
                                     {"close", "C", color_close},
                                     {"volume", "Vol", ""}};
  std::vector<std::string> price_overlays, panels;
  for (const auto& e : cols.extras)
    (is_price_overlay(e) ? price_overlays : panels).push_back(e);

  // Layout: price, volume, RSI, MACD, then one panel per extra that is not on the price's scale.
  double y = 8;
  std::string svg;
  std::string grid_x;
  const bool candles = n > 0 && n <= 160 && col("open").size() == n && col("high").size() == n &&
                       col("low").size() == n && close.size() == n;

  // Price.
  {
    extent e;
    e.add(col("high").empty() ? close : col("high"));
    e.add(col("low").empty() ? close : col("low"));
    for (const auto* c : {&cols.bb_upper, &cols.bb_lower, &cols.sma, &cols.ema})
      e.add(col(*c));
    for (const auto& c : price_overlays)
      e.add(col(c));
    if (e.empty()) e = extent{0, 1};
    double pad = std::max((e.hi - e.lo) * 0.05, std::fabs(e.hi) * 1e-3 + 1e-9);
    scale sc{e.lo - pad, e.hi + pad, y, 380};
    std::vector<legend_entry> legend;
    std::string body;
    if (!cols.bb_upper.empty() && !cols.bb_lower.empty()) {
      const auto &up = col(cols.bb_upper), &lo = col(cols.bb_lower);
      std::string area, back;
      bool pen = false;
      // Filled band: along the upper line, back along the lower one, per run of values.
      auto flush = [&] {
        if (!area.empty())
          body += "<path fill=\"" + std::string{color_bb} +
                  "\" fill-opacity=\"0.09\" stroke=\"none\" d=\"" + area + back + "Z\"/>\n";
        area.clear();
        back.clear();
      };
      for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(up[i]) || !std::isfinite(lo[i])) {
          if (pen) flush();
          pen = false;
          continue;
        }
        area += (pen ? "L" : "M") + fixed(p.x(i)) + ',' + fixed(sc.y(up[i]));
        back = "L" + fixed(p.x(i)) + ',' + fixed(sc.y(lo[i])) + back;
        pen = true;
      }
      flush();
      body += series_path(cols.bb_upper, up, p, sc, color_bb, " stroke-opacity=\"0.75\"");
      body += series_path(cols.bb_lower, lo, p, sc, color_bb, " stroke-opacity=\"0.75\"");
      if (!cols.bb_middle.empty())
        body += series_path(cols.bb_middle, col(cols.bb_middle), p, sc, color_bb,
                            " stroke-dasharray=\"4 3\" stroke-opacity=\"0.6\"");
      std::string bands = pretty(cols.bb_upper); // "BB upper(20,2)"
      legend.push_back({"BB" + bands.substr(std::min(bands.size(), bands.find('('))), color_bb});
      readout.push_back({cols.bb_upper, "BB up", color_bb});
      readout.push_back({cols.bb_lower, "BB low", color_bb});
    }
    if (candles)
      body += candle_paths(s, p, sc);
    else
      body += series_path("close", close, p, sc, color_close, " stroke-width=\"1.6\"");
    for (auto [c, color] : {std::pair{cols.sma, color_sma}, std::pair{cols.ema, color_ema}}) {
      if (c.empty()) continue;
      body += series_path(c, col(c), p, sc, color);
      legend.push_back({pretty(c), color});
      readout.push_back({c, pretty(c), color});
    }
    std::size_t k = 0;
    for (const auto& c : price_overlays) {
      const char* color = extra_palette[k++ % std::size(extra_palette)];
      body += series_path(c, col(c), p, sc, color);
      legend.push_back({pretty(c), color});
      readout.push_back({c, pretty(c), color});
    }
    svg += panel_open("price", sc, s.symbol, legend, false) + body + "</g>\n";
    y += sc.height + panel_gap;
  }
  // Volume.
  {
    extent e;
    e.add(col("volume"));
    scale sc{0, e.empty() || e.hi <= 0 ? 1 : e.hi * 1.08, y, 90};
    const auto &o = col("open"), &c = close;
    svg += panel_open("volume", sc, "Volume", {}, true) +
           bar_paths(
               "volume", col("volume"), p, sc, 0,
               [&](std::size_t i) { return i >= c.size() || i >= o.size() || !(c[i] < o[i]); },
               color_up, color_down, 0.55) +
           "</g>\n";
    y += sc.height + panel_gap;
  }
  // RSI with its 30/70 lines.
  if (!cols.rsi.empty()) {
    scale sc{0, 100, y, 120};
    std::string body = "<rect x=\"" + fixed(plot_left) + "\" y=\"" + fixed(sc.y(70)) +
                       "\" width=\"" + fixed(plot_right - plot_left) + "\" height=\"" +
                       fixed(sc.y(30) - sc.y(70)) + "\" fill=\"" + color_rsi +
                       "\" fill-opacity=\"0.05\"/>\n";
    for (double level : {30.0, 70.0})
      body += "<line data-level=\"" + fixed(level) + "\" x1=\"" + fixed(plot_left) + "\" x2=\"" +
              fixed(plot_right) + "\" y1=\"" + fixed(sc.y(level)) + "\" y2=\"" +
              fixed(sc.y(level)) + "\" stroke=\"" + color_rsi +
              "\" stroke-opacity=\"0.6\" stroke-dasharray=\"5 4\"/>\n";
    body += series_path(cols.rsi, col(cols.rsi), p, sc, color_rsi);
    svg +=
        panel_open("rsi", sc, pretty(cols.rsi), {}, false, {0, 30, 50, 70, 100}) + body + "</g>\n";
    readout.push_back({cols.rsi, pretty(cols.rsi), color_rsi});
    y += sc.height + panel_gap;
  }
  // MACD: histogram, MACD line, signal line, zero line.
  if (!cols.macd.empty()) {
    extent e;
    for (const auto* c : {&cols.macd, &cols.macd_signal, &cols.macd_hist})
      e.add(col(*c));
    if (e.empty()) e = extent{-1, 1};
    double pad = std::max((e.hi - e.lo) * 0.08, 1e-9);
    scale sc{std::min(e.lo - pad, 0.0), std::max(e.hi + pad, 0.0), y, 140};
    std::string body = "<line x1=\"" + fixed(plot_left) + "\" x2=\"" + fixed(plot_right) +
                       "\" y1=\"" + fixed(sc.y(0)) + "\" y2=\"" + fixed(sc.y(0)) +
                       "\" stroke=\"#3a4756\"/>\n";
    std::vector<legend_entry> legend{{"MACD", color_macd}};
    if (!cols.macd_hist.empty()) {
      const auto& h = col(cols.macd_hist);
      body += bar_paths(
          cols.macd_hist, h, p, sc, 0, [&](std::size_t i) { return h[i] >= 0; }, color_up,
          color_down, 0.6);
    }
    body += series_path(cols.macd, col(cols.macd), p, sc, color_macd);
    readout.push_back({cols.macd, "MACD", color_macd});
    if (!cols.macd_signal.empty()) {
      body += series_path(cols.macd_signal, col(cols.macd_signal), p, sc, color_signal);
      legend.push_back({"signal", color_signal});
      readout.push_back({cols.macd_signal, "signal", color_signal});
    }
    if (!cols.macd_hist.empty()) {
      legend.push_back({"histogram", color_up});
      readout.push_back({cols.macd_hist, "hist", ""});
    }
    std::string title = pretty(cols.macd);
    svg += panel_open("macd", sc, title, legend, false) + body + "</g>\n";
    y += sc.height + panel_gap;
  }
  // Extras on their own scales.
  std::size_t k = price_overlays.size();
  for (const auto& c : panels) {
    extent e;
    e.add(col(c));
    if (e.empty()) e = extent{0, 1};
    double pad = std::max((e.hi - e.lo) * 0.08, std::fabs(e.hi) * 1e-3 + 1e-9);
    scale sc{e.lo - pad, e.hi + pad, y, 110};
    const char* color = extra_palette[k++ % std::size(extra_palette)];
    bool big = std::max(std::fabs(e.lo), std::fabs(e.hi)) >= 1e5;
    svg += panel_open("extra-" + c, sc, pretty(c), {}, big) + series_path(c, col(c), p, sc, color) +
           "</g>\n";
    readout.push_back({c, pretty(c), color});
    y += sc.height + panel_gap;
  }
  // Time axis and vertical grid.
  const double bottom = y - panel_gap;
  for (const auto& [i, label] : time_ticks(s.dates)) {
    double x = plot_left + static_cast<double>(i) * p.step;
    grid_x += "<line class=\"grid\" x1=\"" + fixed(x) + "\" x2=\"" + fixed(x) +
              "\" y1=\"8\" y2=\"" + fixed(bottom) + "\" stroke-opacity=\"0.6\"/>";
    grid_x += std::string{"<text class=\"axis\" text-anchor=\""} +
              (x < plot_left + 30 ? "start" : "middle") + "\" x=\"" + fixed(x) + "\" y=\"" +
              fixed(bottom + 17) + "\">" + html_escape(label) + "</text>\n";
  }
  const double height = bottom + x_axis_height;
  std::string chart = "<svg id=\"chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
                      "viewBox=\"0 0 " +
                      fixed(svg_width) + ' ' + fixed(height) + "\" data-x0=\"" + fixed(plot_left) +
                      "\" data-step=\"" + json_number(p.step) + "\" data-n=\"" + std::to_string(n) +
                      "\" data-mode=\"" + (candles ? "candles" : "line") + "\">\n" + svg + "<g>" +
                      grid_x + "</g>\n<line id=\"xhair\" y1=\"8\" y2=\"" + fixed(bottom) +
                      "\"/>\n</svg>\n";

  // Header: last close and its change over the range.
  std::string body = "<div class=\"headline\"><h1>" + html_escape(s.symbol) + "</h1>";
  if (n > 0) {
    double last = close.back(), first = close.front();
    double chg = first != 0 ? (last / first - 1) * 100 : std::nan("");
    body += "<span class=\"price\">" + value_text(last) + "</span><span class=\"chg " +
            (chg >= 0 ? "up" : "down") + "\">" + (chg >= 0 ? "+" : "") +
            (std::isfinite(chg) ? fixed(chg, 2) : std::string{"-"}) +
            "% over the range</span><span class=\"muted\">" + html_escape(s.dates.front()) + " → " +
            html_escape(s.dates.back()) + " · " + std::to_string(n) + " bars</span>";
  }
  body += "</div>\n<div class=\"controls\"><nav class=\"ranges\">";
  for (const auto& r : range_presets())
    body += "<a href=\"/chart/" + html_escape(s.symbol) +
            html_escape(query_string(cols.extras, r.key)) + "\"" +
            (q.range == r.key ? " class=\"on\"" : "") + ">" + r.label + "</a>";
  body += "</nav>\n<form class=\"custom\" method=\"get\" action=\"/chart/" + html_escape(s.symbol) +
          "\"><input type=\"hidden\" name=\"range\" value=\"" +
          html_escape(q.range.empty() ? "1y" : q.range) +
          "\"><label class=\"muted\">From <input type=\"date\" name=\"from\" value=\"" +
          html_escape(q.from) + "\" min=\"" + html_escape(s.first_date) + "\" max=\"" +
          html_escape(s.last_date) +
          "\"></label><label class=\"muted\">To <input type=\"date\" "
          "name=\"to\" value=\"" +
          html_escape(q.to) + "\" min=\"" + html_escape(s.first_date) + "\" max=\"" +
          html_escape(s.last_date) + "\"></label>";
  if (!cols.available.empty()) {
    body +=
        "<details class=\"add\"><summary>+ Indicators" +
        (cols.extras.empty() ? std::string{} : " (" + std::to_string(cols.extras.size()) + ")") +
        "</summary><div class=\"menu\">";
    for (const auto& [c, label] : cols.available) {
      bool on = std::find(cols.extras.begin(), cols.extras.end(), c) != cols.extras.end();
      body += "<label><input type=\"checkbox\" name=\"add\" value=\"" + html_escape(c) + "\"" +
              (on ? " checked" : "") + "> " + html_escape(pretty(c)) + " <span class=\"muted\">" +
              html_escape(label) + "</span></label>";
    }
    body += "</div></details>";
  }
  body += "<button type=\"submit\">Apply</button></form></div>\n";
  // Read-out of the last bar (the script updates it under the pointer).
  body += "<div id=\"readout\"><span><b>" + (n ? html_escape(s.dates.back()) : std::string{}) +
          "</b></span>";
  for (const auto& r : readout) {
    const auto& v = col(r.key);
    body += "<span>" + (r.color.empty() ? "" : "<i style=\"background:" + r.color + "\"></i>") +
            html_escape(r.label) + " <b>" +
            (v.empty()           ? "-"
             : r.key == "volume" ? compact(v.back())
                                 : value_text(v.back())) +
            "</b></span>";
  }
  body += "</div>\n<div class=\"chartbox\">" + chart + "</div>\n";
  if (s.truncated)
    body += "<p class=\"note\">The range holds more bars than one chart shows: the latest " +
            std::to_string(n) + " are drawn; narrow the range to see earlier ones.</p>\n";
  body += "<p class=\"note\">Stored " + html_escape(s.first_date) + " → " +
          html_escape(s.last_date) +
          ". Values are the stored rows of technical_indicators; export them with <code>finstream "
          "export --symbols " +
          html_escape(s.symbol) + "</code>.</p>\n";
  // The drawn data, exact (shortest round-trip numbers), for the read-out and for tools.
  std::string json = "{\"symbol\":\"" + s.symbol + "\",\"first_date\":\"" + s.first_date +
                     "\",\"last_date\":\"" + s.last_date + "\",\"dates\":[";
  for (std::size_t i = 0; i < n; ++i)
    json += (i ? ",\"" : "\"") + s.dates[i] + '"';
  json += "],\"series\":{";
  bool first_series = true;
  for (const auto& [key, values] : s.columns) {
    json += (first_series ? "\"" : ",\"") + key + "\":[";
    first_series = false;
    for (std::size_t i = 0; i < values.size(); ++i)
      json += (i ? "," : "") + json_number(values[i]);
    json += ']';
  }
  json += "},\"readout\":[";
  for (std::size_t i = 0; i < readout.size(); ++i)
    json += std::string{i ? "," : ""} + "{\"key\":\"" + readout[i].key + "\",\"label\":\"" +
            readout[i].label + "\",\"color\":\"" + readout[i].color + "\"}";
  json += "]}";
  body += "<script type=\"application/json\" id=\"chart-data\">" + json + "</script>\n";
  return page(s.symbol, "/ <a href=\"/\">Symbols</a> / " + html_escape(s.symbol), body,
              assets::chart_js);
}

std::string render_error(int status, std::string_view title, std::string_view message) {
  std::string body = "<div class=\"error\"><div class=\"code\">" + std::to_string(status) +
                     "</div><h1>" + html_escape(title) + "</h1><p class=\"muted\">" +
                     html_escape(message) + "</p><p><a href=\"/\">← All symbols</a></p></div>\n";
  return page(title, "", body, nullptr);
}

} // namespace finstream::ui
