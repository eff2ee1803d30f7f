// Tests of the chart page's HTML: drawn lines invert to their values, RSI's 30/70 lines, the
// embedded JSON, escaping, error pages, and nothing loaded from elsewhere.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "ui/page.hpp"

using namespace finstream::ui;

namespace {

series make_series(std::size_t n) {
  series s;
  s.symbol = "ABC";
  s.first_date = "2019-01-01";
  s.last_date = "2020-12-31";
  for (std::size_t i = 0; i < n; ++i) {
    char d[16];
    std::snprintf(d, sizeof d, "2020-%02zu-%02zu", 1 + i / 28, 1 + i % 28);
    s.dates.push_back(d);
    double c = 100 + 10 * std::sin(static_cast<double>(i) / 9.0);
    s.columns["open"].push_back(c - 0.5);
    s.columns["high"].push_back(c + 1);
    s.columns["low"].push_back(c - 1);
    s.columns["close"].push_back(c);
    s.columns["volume"].push_back(1e6 + static_cast<double>(i) * 1000);
    s.columns["rsi"].push_back(i < 14 ? std::nan("")
                                      : 50 + 30 * std::sin(static_cast<double>(i) / 5.0));
    s.columns["sma"].push_back(i < 19 ? std::nan("") : c - 1);
  }
  return s;
}

std::string attr(const std::string& tag, const std::string& name) {
  std::smatch m;
  REQUIRE(std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\"")));
  return m[1];
}

// The opening tag of the element whose attribute `name` is `value`.
std::string tag_with(const std::string& html, const std::string& name, const std::string& value) {
  auto at = html.find(name + "=\"" + value + "\"");
  REQUIRE(at != std::string::npos);
  auto open = html.rfind('<', at);
  return html.substr(open, html.find('>', at) - open + 1);
}

} // namespace

TEST_CASE("chart page: each drawn line inverts to its values through the panel's scale") {
  auto s = make_series(200);
  chart_columns cols;
  cols.sma = "sma";
  cols.rsi = "rsi";
  chart_query q;
  auto html = render_chart(s, cols, q);
  const auto svg = tag_with(html, "id", "chart");
  const double x0 = std::stod(attr(svg, "data-x0"));
  const double step = std::stod(attr(svg, "data-step"));
  CHECK(attr(svg, "data-mode") == "line");
  for (const auto& [key, panel_id] :
       {std::pair{"close", "price"}, std::pair{"sma", "price"}, std::pair{"rsi", "rsi"}}) {
    INFO(key);
    const auto panel = tag_with(html, "data-panel", panel_id);
    const double top = std::stod(attr(panel, "data-top"));
    const double height = std::stod(attr(panel, "data-height"));
    const double lo = std::stod(attr(panel, "data-min"));
    const double hi = std::stod(attr(panel, "data-max"));
    const auto path = tag_with(html, "data-series", key);
    const auto d = attr(path, "d");
    std::regex point("[ML](-?[0-9.]+),(-?[0-9.]+)");
    std::size_t points = 0;
    for (auto it = std::sregex_iterator(d.begin(), d.end(), point); it != std::sregex_iterator();
         ++it) {
      double x = std::stod((*it)[1]), y = std::stod((*it)[2]);
      auto i = static_cast<std::size_t>(std::lround((x - x0) / step - 0.5));
      double value = hi - (y - top) / height * (hi - lo);
      REQUIRE(std::fabs(value - s.columns[key][i]) <= (hi - lo) / height * 0.01);
      ++points;
    }
    std::size_t finite = 0;
    for (double v : s.columns[key])
      finite += std::isfinite(v) ? 1 : 0;
    CHECK(points == finite);
  }
  CHECK(html.find("data-level=\"30\"") != std::string::npos);
  CHECK(html.find("data-level=\"70\"") != std::string::npos);
  // The JSON holds every value exactly (shortest round-trip text) and null for no value.
  CHECK(html.find("\"rsi\":[null,") != std::string::npos);
  CHECK(html.find("<script type=\"application/json\" id=\"chart-data\">") != std::string::npos);
}

TEST_CASE("chart page: short ranges are drawn as candles and the active range is marked") {
  auto s = make_series(60);
  chart_columns cols;
  chart_query q;
  q.range = "3m";
  auto html = render_chart(s, cols, q);
  CHECK(attr(tag_with(html, "id", "chart"), "data-mode") == "candles");
  CHECK(html.find("data-series=\"candles\"") != std::string::npos);
  CHECK(html.find("href=\"/chart/ABC?range=3m\" class=\"on\"") != std::string::npos);
  CHECK(html.find("data-panel=\"rsi\"") == std::string::npos); // not stored: not drawn
}

TEST_CASE("pages load nothing from elsewhere and escape what they show") {
  auto s = make_series(30);
  chart_columns cols;
  cols.extras = {"obv"};
  s.columns["obv"] = std::vector<double>(30, 5.0);
  cols.available = {{"obv", "obv"}, {"x\"<y", "x\"<y"}};
  for (const auto& html : {render_chart(s, cols, {}), render_index({}),
                           render_error(404, "Unknown symbol <ZZ>", "a & b")}) {
    CHECK(html.find("src=\"http") == std::string::npos);
    CHECK(html.find("href=\"http") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("<ZZ>") == std::string::npos);
  }
  CHECK(render_chart(s, cols, {}).find("x&quot;&lt;y") != std::string::npos);
  auto err = render_error(404, "Unknown symbol NOPE", "No row is stored for NOPE.");
  CHECK(err.find("<div class=\"code\">404</div>") != std::string::npos);
  CHECK(err.find("Unknown symbol NOPE") != std::string::npos);
  CHECK(html_escape("a&b<c>\"'") == "a&amp;b&lt;c&gt;&quot;&#39;");
}

TEST_CASE("range presets") {
  REQUIRE(find_range("1y") != nullptr);
  CHECK(find_range("1y")->days == 366);
  CHECK(find_range("all")->days == 0);
  CHECK(find_range("7y") == nullptr);
}

TEST_CASE("chart page: a range without bars renders an empty chart") {
  auto s = make_series(0);
  chart_columns cols;
  cols.rsi = "rsi";
  cols.sma = "sma";
  auto html = render_chart(s, cols, {});
  CHECK(attr(tag_with(html, "id", "chart"), "data-n") == "0");
  CHECK(html.find("\"dates\":[]") != std::string::npos);
}
