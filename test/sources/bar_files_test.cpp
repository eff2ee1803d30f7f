// Unit tests of the bar file readers on the real recorded Yahoo bodies and yfinance exports.
#include "sources/bar_files.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "sources/recording.hpp"
#include "support/env.hpp"

using namespace finstream;
using finstream::test::fixture_body;
using finstream::test::replace_once;

namespace {

std::string csv_dir() {
  return test::source_dir() + "/test/data/yfinance-csv";
}

bar_series yahoo(const std::string& file, read_report& r) {
  return parse_yahoo_chart(fixture_body(file), file, r);
}

bar_series yahoo(const std::string& file) {
  read_report r;
  return yahoo(file, r);
}

void require_ascending_unique(const bar_series& s) {
  for (std::size_t i = 1; i < s.bars.size(); ++i)
    REQUIRE(s.bars[i - 1].date < s.bars[i].date);
}

day_t d(const char* text) {
  return *parse_date(text);
}

} // namespace

TEST_CASE("detect_bar_format tells JSON, yfinance and plain CSV apart", "[bar_files]") {
  CHECK(detect_bar_format("  {\"chart\":{}}") == bar_file_format::yahoo_chart_json);
  CHECK(detect_bar_format("\xEF\xBB\xBF{}") == bar_file_format::yahoo_chart_json);
  CHECK(detect_bar_format("Date,Open,High,Low,Close,Adj Close,Volume\n") ==
        bar_file_format::yfinance_csv);
  CHECK(detect_bar_format("Datetime,Open,High,Low,Close,Volume\n") ==
        bar_file_format::yfinance_csv);
  CHECK(detect_bar_format("date,open,high,low,close,volume\n") == bar_file_format::plain_csv);
  CHECK(detect_bar_format("symbol,date,open,high,low,close,adj_close,volume\n") ==
        bar_file_format::plain_csv);
}

TEST_CASE("bar_file_error names file, line and reason", "[bar_files]") {
  bar_file_error e("data.csv", 1, "no Date/Datetime column in header");
  CHECK(std::string{e.what()} == "data.csv:1: no Date/Datetime column in header");
  CHECK(e.line() == 1);
  CHECK(e.reason() == "no Date/Datetime column in header");
  CHECK(std::string{bar_file_error("x.json", 0, "invalid JSON").what()} == "x.json: invalid JSON");
}

TEST_CASE("Yahoo: TSLA 2010-2023 recorded body gives every recorded bar", "[bar_files]") {
  read_report r;
  auto s = yahoo("historical-via-chart-dividends-TSLA-no-dividends.json", r);
  CHECK(s.symbol == "TSLA");
  CHECK(s.meta.currency == "USD");
  CHECK(s.meta.exchange == "NMS");
  CHECK(s.meta.timezone == "America/New_York");
  REQUIRE(s.bars.size() == 3303);
  CHECK(r.rows_read == 3303);
  CHECK(r.rows_skipped == 0);
  CHECK(r.duplicates_replaced == 0);
  require_ascending_unique(s);
  // First and last recorded bars (timestamps 1277818200 = 2010-06-29 09:30 EDT, 1691760600).
  const bar& f = s.bars.front();
  CHECK(f.date == d("2010-06-29"));
  CHECK(f.open == 1.2666670083999634);
  CHECK(f.high == 1.6666669845581055);
  CHECK(f.low == 1.1693329811096191);
  CHECK(f.close == 1.5926669836044312);
  CHECK(f.adj_close == 1.5926669836044312);
  CHECK(f.volume == 281494500);
  const bar& l = s.bars.back();
  CHECK(l.date == d("2023-08-11"));
  CHECK(l.close == 242.64999389648438);
  CHECK(l.volume == 98866600);
  CHECK(s.splits.empty());
  CHECK(s.dividends.empty());
  for (const auto& b : s.bars)
    CHECK((weekday(b.date) != 0 && weekday(b.date) != 6));
}

TEST_CASE("Yahoo: MSFT dividends and adjusted close", "[bar_files]") {
  auto s = yahoo("historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json");
  REQUIRE(s.bars.size() == 252);
  CHECK(s.bars.front().date == d("2021-02-01"));
  CHECK(s.bars.front().close == 239.64999389648438);
  CHECK(s.bars.front().adj_close == 231.1864776611328);
  REQUIRE(s.dividends.size() == 4);
  CHECK(s.dividends[0].date == d("2021-02-17"));
  CHECK(s.dividends[0].amount == 0.56);
  CHECK(s.dividends[1].date == d("2021-05-19"));
  CHECK(s.dividends[2].date == d("2021-08-18"));
  CHECK(s.dividends[3].date == d("2021-11-17"));
  CHECK(s.dividends[3].amount == 0.62);
}

TEST_CASE("Yahoo: NVDA 4:1 split event", "[bar_files]") {
  auto s = yahoo("historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json");
  REQUIRE(s.bars.size() == 252);
  REQUIRE(s.splits.size() == 1);
  CHECK(s.splits[0].date == d("2021-07-20"));
  CHECK(s.splits[0].numerator == 4);
  CHECK(s.splits[0].denominator == 1);
  // Yahoo's prices are split-adjusted: the first bar is already divided by 4.
  CHECK(s.bars.front().close == 13.237000465393066);
}

TEST_CASE("Yahoo: AAPL body with both a split and a dividend", "[bar_files]") {
  auto s = yahoo("chart-AAPL-2020-08-31-to-2020-11-07.json");
  REQUIRE(s.bars.size() == 49);
  REQUIRE(s.splits.size() == 1);
  CHECK(s.splits[0].date == d("2020-08-31"));
  REQUIRE(s.dividends.size() == 1);
  CHECK(s.dividends[0].date == d("2020-11-06"));
  CHECK(s.dividends[0].amount == 0.205);
  CHECK(s.bars.front().high == 131); // integer JSON numbers are prices too
}

TEST_CASE("Yahoo: exchanges and calendars (local dates from exchangeTimezoneName)", "[bar_files]") {
  struct expect {
    const char* file;
    const char* tz;
    const char* currency;
    std::vector<const char*> dates;
  };
  const std::vector<expect> cases = {
      {"chart-OCDO.L-2020-01-01-to-2020-01-03.json", "Europe/London", "GBp", {"2020-01-02"}},
      {"chart-WSKT.JK-2020-01-01-to-2020-01-03.json", "Asia/Jakarta", "IDR", {"2020-01-02"}},
      {"chart-AZT.OL-2020-01-01-to-2020-01-03.json", "Europe/Oslo", "NOK", {"2020-01-02"}},
      {"chart-ORSTED.CO-2020-01-01-to-2020-01-03.json", "Europe/Copenhagen", "DKK", {"2020-01-02"}},
      {"chart-WSU.DE-2023-08-04-to-2023-08-09.json",
       "Europe/Berlin",
       "EUR",
       {"2023-08-04", "2023-08-07", "2023-08-08"}},
      {"chart-0P000071W8.TO-2020-01-01-to-2020-01-03.json",
       "America/Toronto",
       "CAD",
       {"2020-01-02"}},
      // 7 days a week: 2020-01-01 is a holiday for stock exchanges, not for bitcoin.
      {"chart-BTC-USD-2020-01-01-to-2020-01-03.json",
       "UTC",
       "USD",
       {"2020-01-01", "2020-01-02", "2020-01-03"}},
      {"chart-EURUSD=X-2020-01-01-to-2020-01-03.json",
       "Europe/London",
       "USD",
       {"2020-01-01", "2020-01-02", "2020-01-03"}},
      {"chart-GC=F-2020-01-01-to-2020-01-03.json", "America/New_York", "USD", {"2020-01-02"}},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    read_report r;
    auto s = yahoo(c.file, r);
    CHECK(s.meta.timezone == c.tz);
    CHECK(s.meta.currency == c.currency);
    REQUIRE(s.bars.size() == c.dates.size());
    for (std::size_t i = 0; i < c.dates.size(); ++i)
      CHECK(format_date(s.bars[i].date) == c.dates[i]);
    for (const auto& b : s.bars) {
      CHECK(b.high >= std::max(b.open, b.close));
      CHECK(b.low <= std::min(b.open, b.close));
      CHECK(b.volume >= 0);
    }
    CHECK(r.rows_skipped == 0);
  }
}

TEST_CASE("Yahoo: local date uses the time-zone database, not meta.gmtoffset", "[bar_files]") {
  // GC=F bars start at 00:00 New York time. In July that is 04:00 UTC; the recorded
  // gmtoffset (-18000, winter) would put the bar on the previous day.
  auto body = fixture_body("chart-GC=F-2020-01-01-to-2020-01-03.json");
  auto july = replace_once(body, "\"timestamp\":[1577941200]", "\"timestamp\":[1593576000]");
  read_report r;
  auto s = parse_yahoo_chart(july, "gc", r);
  REQUIRE(s.bars.size() == 1);
  CHECK(format_date(s.bars[0].date) == "2020-07-01");
  // Sydney: 10:00 local on 2020-01-02 is 23:00 UTC on 2020-01-01.
  auto sydney =
      replace_once(replace_once(body, "\"timestamp\":[1577941200]", "\"timestamp\":[1577919600]"),
                   "\"exchangeTimezoneName\":\"America/New_York\"",
                   "\"exchangeTimezoneName\":\"Australia/Sydney\"");
  s = parse_yahoo_chart(sydney, "sydney", r);
  REQUIRE(s.bars.size() == 1);
  CHECK(format_date(s.bars[0].date) == "2020-01-02");
}

TEST_CASE("Yahoo: null values skip the bar, never forward-filled, null volume is 0",
          "[bar_files]") {
  auto body = fixture_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json");
  // Null the second bar's open, and the third bar's volume.
  body = replace_once(body, "6935.27001953125", "null"); // low of bar 1
  body = replace_once(body, "28111481032", "null");      // volume of bar 2
  read_report r;
  auto s = parse_yahoo_chart(body, "btc", r);
  REQUIRE(s.bars.size() == 2);
  CHECK(format_date(s.bars[0].date) == "2020-01-01");
  CHECK(format_date(s.bars[1].date) == "2020-01-03");
  CHECK(s.bars[1].volume == 0);
  CHECK(s.bars[1].close == 7344.88427734375);
  CHECK(r.rows_read == 3);
  CHECK(r.rows_skipped == 1);
  CHECK(r.volumes_missing == 1);
  CHECK(r.first_skip_reason.find("2020-01-02") != std::string::npos);
  CHECK(r.first_skip_reason.find("null or non-positive price") != std::string::npos);
}

TEST_CASE("Yahoo: missing adjclose means adj_close = close", "[bar_files]") {
  auto body = fixture_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json");
  auto pos = body.find(",\"adjclose\":");
  REQUIRE(pos != std::string::npos);
  auto end = body.find("]}]", pos);
  body.erase(pos, end + 3 - pos);
  read_report r;
  auto s = parse_yahoo_chart(body, "btc", r);
  REQUIRE(s.bars.size() == 3);
  for (const auto& b : s.bars)
    CHECK(b.adj_close == b.close);
}

TEST_CASE("Yahoo: a null adjclose keeps the bar with adj_close NaN, counted", "[bar_files]") {
  auto body = fixture_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json");
  auto pos = body.find("\"adjclose\":", body.find("\"adjclose\":") + 1); // the inner array
  REQUIRE(pos != std::string::npos);
  const std::string second = "6985.47021484375";
  pos = body.find(second, pos);
  REQUIRE(pos != std::string::npos);
  body.replace(pos, second.size(), "null");
  read_report r;
  auto s = parse_yahoo_chart(body, "btc", r);
  REQUIRE(s.bars.size() == 3);
  CHECK(s.bars[1].close == 6985.47021484375);
  CHECK(std::isnan(s.bars[1].adj_close));
  CHECK(s.bars[0].adj_close == 7200.17431640625);
  CHECK(r.rows_skipped == 0);
  CHECK(r.adj_closes_missing == 1);
  CHECK(r.first_adj_close_missing.find("2020-01-02") != std::string::npos);
}

TEST_CASE("Yahoo: empty range is no bars, not an error", "[bar_files]") {
  // Recorded: meta without timestamp and quote: [{}].
  read_report r;
  auto body = fixture_body("chart-TSLA-2025-01-01-to-2025-01-02-interval-1h.fake.json");
  body = replace_once(body, "\"dataGranularity\":\"1h\"", "\"dataGranularity\":\"1d\"");
  auto s = parse_yahoo_chart(body, "empty", r);
  CHECK(s.bars.empty());
  CHECK(s.symbol == "TSLA");
  CHECK(s.meta.timezone == "America/New_York");
  CHECK(r.rows_read == 0);
}

TEST_CASE("Yahoo: malformed bodies throw bar_file_error", "[bar_files]") {
  read_report r;
  // Quotes without timestamps (recorded fakes from yahoo-finance2).
  CHECK_THROWS_WITH(yahoo("chart-notimestamp-quotes-length.fake.json", r),
                    Catch::Contains("quotes without timestamps"));
  CHECK_THROWS_WITH(yahoo("chart-notimestamp-weird-quote.fake.json", r),
                    Catch::Contains("quotes without timestamps"));
  // Intraday bodies are not daily bars.
  CHECK_THROWS_WITH(
      yahoo("chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json", r),
      Catch::Contains("not daily bars"));
  auto body = fixture_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json");
  CHECK_THROWS_WITH(parse_yahoo_chart(body.substr(0, body.size() / 2), "cut.json", r),
                    Catch::StartsWith("cut.json: invalid JSON"));
  CHECK_THROWS_AS(parse_yahoo_chart("<html>down</html>", "html", r), bar_file_error);
  CHECK_THROWS_WITH(parse_yahoo_chart(replace_once(body, ",1578009600]", "]"), "short", r),
                    Catch::Contains("2 timestamps"));
  CHECK_THROWS_WITH(parse_yahoo_chart(replace_once(body, "\"exchangeTimezoneName\":\"UTC\"",
                                                   "\"exchangeTimezoneName\":\"Mars/Olympus\""),
                                      "tz", r),
                    Catch::Contains("Mars/Olympus"));
  const std::string not_found = R"({"chart":{"result":null,"error":{"code":"Not Found",)"
                                R"("description":"No data found, symbol may be delisted"}}})";
  CHECK_THROWS_WITH(parse_yahoo_chart(not_found, "nf", r),
                    Catch::Contains("Not Found: No data found, symbol may be delisted"));
  const std::string finance = R"({"finance":{"result":null,"error":{"code":"Bad Request",)"
                              R"("description":"Invalid input"}}})";
  CHECK_THROWS_WITH(parse_yahoo_chart(finance, "fin", r), Catch::Contains("Bad Request"));
}

TEST_CASE("find_yahoo_error reads chart.error and finance.error, never assumes JSON",
          "[bar_files]") {
  auto e = find_yahoo_error(R"({"chart":{"result":null,"error":{"code":"Not Found",)"
                            R"("description":"No data found, symbol may be delisted"}}})");
  REQUIRE(e);
  CHECK(e->code == "Not Found");
  CHECK(e->description == "No data found, symbol may be delisted");
  e = find_yahoo_error(R"({"finance":{"result":null,"error":{"code":"Unprocessable Entity",)"
                       R"("description":"Invalid range"}}})");
  REQUIRE(e);
  CHECK(e->code == "Unprocessable Entity");
  CHECK_FALSE(find_yahoo_error("Too Many Requests"));
  CHECK_FALSE(find_yahoo_error("<!doctype html><html>Yahoo is down</html>"));
  CHECK_FALSE(find_yahoo_error(fixture_body("chart-AAPL-2020-01-01-to-2020-01-03.json")));
}

TEST_CASE("Yahoo: currentTradingPeriod.regular is reported", "[bar_files]") {
  read_report r;
  std::optional<yahoo_trading_period> p;
  parse_yahoo_chart(fixture_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json"), "btc", r, p);
  REQUIRE(p);
  CHECK(p->start == 1740009600);
  CHECK(p->end == 1740095940);
}

TEST_CASE("Yahoo: a recorded exchange wrapper is read through read_bar_file", "[bar_files]") {
  read_report r;
  auto s = read_bar_file(test::yahoo_chart_dir() +
                             "/historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json",
                         r);
  CHECK(s.bars.size() == 252);
  CHECK(s.splits.size() == 1);
}

TEST_CASE("CSV: yfinance export in descending order with UTC offsets", "[bar_files]") {
  read_report r;
  auto s = read_bar_file(csv_dir() + "/AET-L-1d-100x-error.csv", r);
  REQUIRE(s.bars.size() == 23);
  require_ascending_unique(s);
  // Last line of the file (oldest) and first data line (newest), dates as written.
  CHECK(format_date(s.bars.front().date) == "2022-05-03");
  CHECK(format_date(s.bars.back().date) == "2022-06-06");
  CHECK(s.bars.back().close == 0.14550000429153442);
  CHECK(s.bars.back().volume == 0);
  CHECK(r.rows_skipped == 0);
  CHECK(r.volumes_missing == 0);
}

TEST_CASE("CSV: Datetime column, negative UTC offsets, Adj Close column", "[bar_files]") {
  read_report r;
  auto s = read_bar_file(csv_dir() + "/CALM-1d-no-bad-divs.csv", r);
  REQUIRE(s.bars.size() == 662);
  const bar& f = s.bars.front();
  CHECK(format_date(f.date) == "2022-01-03");
  CHECK(f.open == 37.029998779296875);
  CHECK(f.high == 37.7599983215332);
  CHECK(f.low == 36.31999969482422);
  CHECK(f.close == 37.70000076293945);
  CHECK(f.adj_close == 32.6307373046875);
  CHECK(f.volume == 707800);
  CHECK(format_date(s.bars.back().date) == "2024-08-21");
  CHECK(s.symbol.empty());
}

TEST_CASE("CSV: rows with empty prices are skipped and counted with their line", "[bar_files]") {
  read_report r;
  auto path = csv_dir() + "/PSH-L-1d-bad-div.csv";
  auto s = read_bar_file(path, r);
  CHECK(r.rows_read == 665);
  CHECK(r.rows_skipped == 2);
  CHECK(s.bars.size() == 663);
  CHECK(r.first_skip_reason.rfind(path + ":197: ", 0) == 0);
  auto it = std::find_if(s.bars.begin(), s.bars.end(),
                         [](const bar& b) { return format_date(b.date) == "2022-10-13"; });
  CHECK(it == s.bars.end());
}

TEST_CASE("CSV: a broken adjusted close keeps the bar with adj_close NaN, counted",
          "[bar_files]") {
  // SSNLF carries -inf, inf and huge negative Adj Close values (and empty ones) on rows whose
  // open, high, low and close are valid. Expected rows are computed here from the file with an
  // independent reading: every row with four finite positive prices must come out as a bar.
  const std::string path = csv_dir() + "/SSNLF-1d-bad-div.csv";
  std::ifstream in(path);
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line == "Datetime,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits");
  struct row {
    double close;
    bool adj_ok;
    double adj;
  };
  std::map<day_t, row> want;
  std::size_t data_rows = 0, bad_adj = 0;
  auto number = [](const std::string& f, double& v) {
    char* end = nullptr;
    v = std::strtod(f.c_str(), &end);
    return !f.empty() && end == f.c_str() + f.size();
  };
  while (std::getline(in, line)) {
    ++data_rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    f.resize(9);
    double p[5];
    bool ok = true;
    for (int i = 0; i < 4; ++i)
      ok = ok && number(f[1 + i], p[i]) && std::isfinite(p[i]) && p[i] > 0;
    if (!ok) continue;
    const bool adj_ok = number(f[5], p[4]) && std::isfinite(p[4]) && p[4] > 0;
    bad_adj += adj_ok ? 0 : 1;
    want[*parse_date(f[0].substr(0, 10))] = row{p[3], adj_ok, p[4]};
  }
  REQUIRE(bad_adj > 0);

  read_report r;
  auto s = read_bar_file(path, r);
  CHECK(r.rows_read == data_rows);
  CHECK(s.bars.size() == want.size());
  CHECK(r.rows_skipped + s.bars.size() + r.duplicates_replaced == data_rows);
  CHECK(r.adj_closes_missing == bad_adj);
  CHECK(r.first_adj_close_missing.rfind(path + ":2: adj_close '-inf'", 0) == 0);
  std::size_t missing = 0, wrong = 0;
  for (const auto& [date, w] : want) {
    auto it = std::lower_bound(s.bars.begin(), s.bars.end(), date,
                               [](const bar& b, day_t d) { return b.date < d; });
    if (it == s.bars.end() || it->date != date) {
      ++missing;
      continue;
    }
    if (it->close != w.close || (w.adj_ok ? it->adj_close != w.adj : !std::isnan(it->adj_close)))
      ++wrong;
  }
  CHECK(missing == 0);
  CHECK(wrong == 0);
}

TEST_CASE("CSV: an empty Adj Close keeps the bar, an empty Close drops it", "[bar_files]") {
  const std::string text = "Date,Open,High,Low,Close,Adj Close,Volume\n"
                           "2024-01-02,10,11,9,10.5,,100\n"
                           "2024-01-03,10,11,9,,10.25,100\n"
                           "2024-01-04,10,11,9,10.5,10.25,100\n";
  read_report r;
  auto s = parse_bar_csv(text, "t.csv", r);
  REQUIRE(s.bars.size() == 2);
  CHECK(std::isnan(s.bars[0].adj_close));
  CHECK(s.bars[0].close == 10.5);
  CHECK(s.bars[1].adj_close == 10.25);
  CHECK(r.rows_skipped == 1);
  CHECK(r.adj_closes_missing == 1);
  CHECK(r.first_adj_close_missing == "t.csv:2: adj_close ''");
  CHECK(r.first_skip_reason.rfind("t.csv:3: ", 0) == 0);
}

TEST_CASE("CSV: extra columns (Capital Gains, Repaired?) are ignored", "[bar_files]") {
  read_report r;
  auto s = read_bar_file(csv_dir() + "/DODFX-1d-cg-double-count.csv", r);
  CHECK(s.bars.size() == 502);
  CHECK(r.rows_skipped == 0);
  require_ascending_unique(s);
  s = read_bar_file(csv_dir() + "/1398-HK-1d-bad-div.csv", r);
  require_ascending_unique(s);
}

TEST_CASE("CSV: plain format, any column order, duplicates keep the last row", "[bar_files]") {
  const std::string text = "volume,close,date,open,low,high\n"
                           "100,10.5,2024-01-03,10,9.5,11\n"
                           "200,11.5,2024-01-02,11,10.5,12\n"
                           "\n"
                           "300,12.5,2024-01-03,12,11.5,13\r\n";
  read_report r;
  auto s = parse_bar_csv(text, "plain.csv", r);
  REQUIRE(s.bars.size() == 2);
  CHECK(format_date(s.bars[0].date) == "2024-01-02");
  CHECK(s.bars[0].adj_close == 11.5);
  CHECK(format_date(s.bars[1].date) == "2024-01-03");
  CHECK(s.bars[1].volume == 300); // the later row wins
  CHECK(s.bars[1].high == 13);
  CHECK(r.duplicates_replaced == 1);
  CHECK(r.rows_read == 3);
}

TEST_CASE("CSV: finstream fetch output (symbol column) reads back", "[bar_files]") {
  const std::string text = "symbol,date,open,high,low,close,adj_close,volume\n"
                           "MSFT,2024-01-02,1,2,0.5,1.5,1.25,7\n";
  read_report r;
  auto s = parse_bar_csv(text, "fetch.csv", r);
  CHECK(s.symbol == "MSFT");
  REQUIRE(s.bars.size() == 1);
  CHECK(s.bars[0].adj_close == 1.25);
  CHECK_THROWS_WITH(parse_bar_csv(text + "AAPL,2024-01-03,1,2,0.5,1.5,1.25,7\n", "two.csv", r),
                    Catch::StartsWith("two.csv:3: several symbols"));
}

TEST_CASE("CSV: bad rows are counted with reasons, missing volume keeps the bar", "[bar_files]") {
  const std::string text = "date,open,high,low,close,volume\n"
                           "2024-01-02,1,2,0.5,1.5,7\n"
                           "2024-13-01,1,2,0.5,1.5,7\n"    // bad date
                           "2024-01-03,abc,2,0.5,1.5,7\n"  // non-numeric
                           "2024-01-04,1,2,0,1.5,7\n"      // zero price
                           "2024-01-05,1,2,-1,1.5,7\n"     // negative price
                           "2024-01-08,1,2,0.5,1.5\n"      // field count
                           "2024-01-09,1,2,0.5,1.5,-3\n"   // negative volume
                           "2024-01-10,1,2,0.5,1.5,\n"     // missing volume: kept, 0
                           "2024-01-11,1,2,0.5,1.5,nan\n"; // NaN volume: kept, 0
  read_report r;
  auto s = parse_bar_csv(text, "bad.csv", r);
  CHECK(r.rows_read == 9);
  CHECK(r.rows_skipped == 6);
  CHECK(r.volumes_missing == 2);
  REQUIRE(s.bars.size() == 3);
  CHECK(s.bars[1].volume == 0);
  CHECK(r.first_skip_reason == "bad.csv:3: bad date '2024-13-01'");
}

TEST_CASE("CSV: headers that cannot be read throw with file:line", "[bar_files]") {
  read_report r;
  CHECK_THROWS_WITH(parse_bar_csv("when,open,high,low,close,volume\n", "data.csv", r),
                    "data.csv:1: no Date/Datetime column in header");
  CHECK_THROWS_WITH(parse_bar_csv("\n\nDate,Open,High,Low,Volume\n", "d.csv", r),
                    "d.csv:3: no Close column in header");
  CHECK_THROWS_WITH(parse_bar_csv("", "e.csv", r), "e.csv: empty file");
  CHECK_THROWS_WITH(read_bar_file("/nonexistent/x.csv", r), Catch::Contains("cannot open"));
}
