// `finstream indicators` end to end: runs the built binary on the files in test/data/indicators and
// checks its CSV against TA-Lib's golden values, its number printing (reads back exactly), its
// handling of defective yfinance exports, and its one-line errors with exit code 2.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "indicators/indicator_set.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

namespace finstream::test {
namespace {

run_result run_indicators(const std::vector<std::string>& args) { return run_binary("indicators", args); }

std::string data(const std::string& rel) {
  return source_dir() + "/test/data/indicators/" + rel;
}

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = "/tmp/" + unique_name("finstream_ind") + "_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

struct csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

csv parse_csv(const std::string& text) {
  csv t;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t start = 0;
    while (true) {
      auto p = line.find(',', start);
      f.push_back(line.substr(start, p == std::string::npos ? std::string::npos : p - start));
      if (p == std::string::npos) break;
      start = p + 1;
    }
    if (first)
      t.header = f;
    else
      t.rows.push_back(f);
    first = false;
  }
  return t;
}

double num(const std::string& s) {
  if (s.empty()) return std::nan("");
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  REQUIRE(r.ec == std::errc{});
  REQUIRE(r.ptr == s.data() + s.size());
  return v;
}

// TA-Lib agreement is bit equality (docs/indicators.md); NaN (no value) only against NaN.
bool same_bits(double got, double want) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  return std::memcmp(&got, &want, sizeof got) == 0;
}

// Compares the indicator columns of CLI output with a golden file (date + columns by name).
void check_against_golden(const csv& out, const std::string& golden_name) {
  const csv g = parse_csv(slurp(source_dir() + "/test/data/golden/" + golden_name + ".csv"));
  REQUIRE(out.rows.size() == g.rows.size());
  std::size_t bad = 0, compared = 0;
  for (std::size_t c = 6; c < out.header.size(); ++c) {
    std::size_t gc = 0;
    for (std::size_t k = 1; k < g.header.size(); ++k)
      if (g.header[k] == out.header[c]) gc = k;
    INFO("column " << out.header[c]);
    REQUIRE(gc != 0);
    for (std::size_t i = 0; i < out.rows.size(); ++i) {
      REQUIRE(out.rows[i][0] == g.rows[i][0]);
      ++compared;
      if (!same_bits(num(out.rows[i][c]), num(g.rows[i][gc])) && ++bad <= 3)
        FAIL_CHECK("bar " << out.rows[i][0] << ": " << out.rows[i][c] << " vs TA-Lib "
                          << g.rows[i][gc]);
    }
  }
  CHECK(bad == 0);
  CHECK(compared > 0);
}

const char* const header_prefix = "date,open,high,low,close,volume,";

} // namespace

TEST_CASE("indicators on a Yahoo chart response equal TA-Lib, default set", "[cli][indicators]") {
  auto r = run_indicators({"--input", data("yahoo/TSLA-2010-2023.json")});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  const csv out = parse_csv(r.out);
  std::string header;
  for (const auto& h : out.header)
    header += (header.empty() ? "" : ",") + h;
  CHECK(header == std::string(header_prefix) +
                      "rsi_14,macd_12_26_9,macd_signal_12_26_9,macd_hist_12_26_9,sma_20,ema_20,"
                      "bb_upper_20_2,bb_middle_20_2,bb_lower_20_2,atr_14,stoch_k_14_3_3,"
                      "stoch_d_14_3_3,obv,adx_14,plus_di_14,minus_di_14,cci_20,willr_14,mfi_14");
  REQUIRE(out.rows.size() == 3303);
  // Exchange-local dates of the first and last bars.
  CHECK(out.rows.front()[0] == "2010-06-29");
  CHECK(out.rows.back()[0] == "2023-08-11");
  // No value yet → empty cell; OBV has one from the first bar.
  CHECK(out.rows[0][6].empty());
  CHECK(out.rows[0][18] == "281494500");
  check_against_golden(out, "tsla.default");
}

TEST_CASE("printed numbers read back exactly to the library's values", "[cli][indicators]") {
  const std::string spec = "rsi(9),macd(5,35,5),bbands(10,1.5),stoch(5,3,4),adx(7),mfi(10)";
  auto r = run_indicators({"--input", data("inputs/nvda_split.csv"), "--indicators", spec});
  REQUIRE(r.code == 0);
  const csv out = parse_csv(r.out);
  auto set = indicators::indicator_set::parse(spec);
  REQUIRE(out.header.size() == 6 + set.output_count());
  std::vector<double> values(set.output_count());
  std::size_t bad = 0;
  for (const auto& row : out.rows) {
    set.update(indicators::ohlcv{num(row[1]), num(row[2]), num(row[3]), num(row[4]), num(row[5])},
               values.data());
    for (std::size_t j = 0; j < values.size(); ++j) {
      const double printed = num(row[6 + j]);
      if (std::isnan(values[j]) ? !std::isnan(printed)
                                : std::memcmp(&printed, &values[j], sizeof printed) != 0)
        ++bad;
    }
  }
  CHECK(bad == 0);
  check_against_golden(out, "nvda_split.alt");
}

TEST_CASE("defective yfinance exports: no crash, sorted output, skips counted, TA-Lib values",
          "[cli][indicators]") {
  struct file {
    const char* name;
    const char* golden; // nullptr: no golden for this one
    bool skips;
  };
  for (const file& f : {file{"AET-L-1d-100x-error.csv", "yf_aet_l.default", false},
                        file{"SSW-JO-1d-100x-error.csv", "yf_ssw_jo.default", false},
                        file{"1398-HK-1d-bad-div.csv", "yf_1398_hk.default", true},
                        file{"CALM-1d-no-bad-divs.csv", "yf_calm.default", false},
                        file{"DODFX-1d-cg-double-count.csv", "yf_dodfx.default", false},
                        file{"KEN-TA-1d-bad-div.csv", "yf_ken_ta.default", true},
                        file{"4063-T-1d-bad-stock-split.csv", nullptr, false},
                        file{"SSNLF-1d-bad-div.csv", nullptr, true}}) {
    INFO(f.name);
    auto r = run_indicators({"--input", source_dir() + "/test/data/yfinance-csv/" + f.name});
    REQUIRE(r.code == 0);
    const csv out = parse_csv(r.out);
    REQUIRE(!out.rows.empty());
    for (std::size_t i = 1; i < out.rows.size(); ++i)
      CHECK(out.rows[i - 1][0] < out.rows[i][0]);
    if (f.skips) {
      CHECK_THAT(r.err, Catch::Contains("warning") && Catch::Contains(f.name) &&
                            Catch::Contains("skipped"));
    } else {
      CHECK(r.err.empty());
    }
    if (f.golden != nullptr) check_against_golden(out, f.golden);
  }
}

TEST_CASE("a broken adjusted close keeps the bar: SSNLF's every valid-price row, TA-Lib values, "
          "the defect counted in the warning",
          "[cli][indicators]") {
  auto r = run_indicators(
      {"--input", source_dir() + "/test/data/yfinance-csv/SSNLF-1d-bad-div.csv"});
  REQUIRE(r.code == 0);
  // The golden input (make_inputs.py) keeps every row with four valid prices, whatever its Adj
  // Close: the same rows, and the indicators (on close) equal TA-Lib's on them.
  check_against_golden(parse_csv(r.out), "yf_ssnlf.default");
  CHECK_THAT(r.err, Catch::Contains("SSNLF-1d-bad-div.csv: kept ") &&
                        Catch::Contains(" bar(s) with a missing, non-numeric or non-positive "
                                        "adjusted close as adj_close NULL (first: ") &&
                        Catch::Contains("SSNLF-1d-bad-div.csv:2: adj_close '-inf')"));
}

TEST_CASE("indicators --output writes a file, and a plain CSV gives what its JSON gives",
          "[cli][indicators]") {
  const std::string path = "/tmp/" + unique_name("finstream_ind_out") + ".csv";
  auto r = run_indicators({"--input", data("inputs/msft_dividends.csv"), "--indicators",
                           "sma(5),obv", "--output", path});
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  const std::string written = slurp(path);
  std::remove(path.c_str());
  CHECK(written.rfind(std::string(header_prefix) + "sma_5,obv\n", 0) == 0);
  auto j = run_indicators(
      {"--input", data("yahoo/MSFT-dividends-2021.json"), "--indicators", "sma(5),obv"});
  REQUIRE(j.code == 0);
  CHECK(j.out == written);
}

TEST_CASE("bad indicator specs: one line listing the known indicators, exit 2",
          "[cli][indicators]") {
  for (const char* spec : {"foo", "rsi(", "rsi(1)", "macd(1,2,3,4)", ""}) {
    INFO("spec '" << spec << "'");
    auto r = run_indicators({"--input", data("inputs/short.csv"), "--indicators", spec});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("finstream indicators: --indicators: ") &&
                          Catch::Contains("known indicators: rsi(period=14)") &&
                          Catch::EndsWith("\n"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("bad input files: one line naming file, line and reason, exit 2", "[cli][indicators]") {
  struct bad {
    const char* name;
    const char* content;
    const char* expect; // substring after "<path>"
  };
  for (const bad& b :
       {bad{"noheader.csv", "foo,bar\n1,2\n", ":1: "}, bad{"empty.csv", "", ": empty file"},
        bad{"broken.json", "{\"chart\": {\"result\": [", ": "},
        bad{"notfound.json",
            "{\"chart\":{\"result\":null,\"error\":{\"code\":\"Not Found\",\"description\":"
            "\"No data found, symbol may be delisted\"}}}",
            ": "}}) {
    INFO(b.name);
    const std::string path = temp_file(b.name, b.content);
    auto r = run_indicators({"--input", path});
    std::remove(path.c_str());
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("finstream indicators: " + path + b.expect));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  auto missing = run_indicators({"--input", "/nonexistent/bars.csv"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent/bars.csv"));
  auto no_input = run_indicators({});
  CHECK(no_input.code == 2);
  auto unwritable =
      run_indicators({"--input", data("inputs/short.csv"), "--output", "/nonexistent/dir/out.csv"});
  CHECK(unwritable.code == 2);
  CHECK_THAT(unwritable.err, Catch::Contains("/nonexistent/dir/out.csv"));
}

TEST_CASE("rows with bad prices are skipped with a counted warning", "[cli][indicators]") {
  const std::string path = temp_file("some_bad_rows.csv", "date,open,high,low,close,volume\n"
                                                          "2024-01-02,10,11,9,10.5,100\n"
                                                          "2024-01-03,abc,11,9,10.5,100\n"
                                                          "2024-01-04,10,11,9,-1,100\n"
                                                          "2024-01-05,10,11,9,,100\n"
                                                          "2024-01-08,10,12,9,11,100\n");
  auto r = run_indicators({"--input", path, "--indicators", "sma(2)"});
  std::remove(path.c_str());
  REQUIRE(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("skipped 3 row(s)") && Catch::Contains(path + ":3"));
  const csv out = parse_csv(r.out);
  REQUIRE(out.rows.size() == 2);
  CHECK(out.rows[0][6].empty());
  CHECK(out.rows[1][0] == "2024-01-08");
  CHECK(out.rows[1][6] == "10.75");
}

TEST_CASE("a file shorter than the warm-up gives rows without values", "[cli][indicators]") {
  auto r = run_indicators({"--input", data("inputs/single_bar.csv")});
  REQUIRE(r.code == 0);
  const csv out = parse_csv(r.out);
  REQUIRE(out.rows.size() == 1);
  for (std::size_t c = 6; c < out.header.size(); ++c)
    CHECK(out.rows[0][c].empty() == (out.header[c] != "obv"));
}

} // namespace finstream::test
