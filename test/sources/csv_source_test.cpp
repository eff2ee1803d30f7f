// Tests of the csv:DIR source and of the source factory.
#include "sources/csv_source.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "sources/factory.hpp"
#include "sources/recording.hpp"
#include "support/env.hpp"

using namespace finstream;
namespace fs = std::filesystem;

namespace {

day_t d(const char* text) {
  return *parse_date(text);
}

struct temp_dir {
  fs::path path = fs::temp_directory_path() / test::unique_name("src_csv");
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

} // namespace

TEST_CASE("csv source: SYMBOL.csv trimmed to the range, with yfinance events", "[csv]") {
  temp_dir dir;
  fs::copy_file(test::source_dir() + "/test/data/yfinance-csv/CALM-1d-no-bad-divs.csv",
                dir.path / "CALM.csv");
  csv_dir_source src(dir.path.string());
  auto r = src.fetch("CALM", d("2022-04-01"), d("2022-07-31"));
  REQUIRE(std::holds_alternative<bar_series>(r));
  const auto& s = std::get<bar_series>(r);
  CHECK(s.symbol == "CALM");
  REQUIRE_FALSE(s.bars.empty());
  CHECK(format_date(s.bars.front().date) == "2022-04-01");
  CHECK(format_date(s.bars.back().date) == "2022-07-29");
  REQUIRE(s.dividends.size() == 2);
  CHECK(format_date(s.dividends[0].date) == "2022-04-26");
  CHECK(s.dividends[0].amount == 0.125);
  CHECK(s.dividends[1].amount == 0.749);
  CHECK(src.kind() == std::string{"csv"});
}

TEST_CASE("csv source: Yahoo JSON file, missing file, unreadable file", "[csv]") {
  temp_dir dir;
  dir.write("NVDA.json", test::fixture_body(
                             "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json"));
  dir.write("BAD.csv", "when,what\n1,2\n");
  dir.write("SPLIT.csv", "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits\n"
                         "2023-05-24 00:00:00+02:00,21.0,24.0,21.0,22.0,22.0,18306,0.0,0.1\n");
  csv_dir_source src(dir.path.string());
  auto nvda = src.fetch("NVDA", d("2021-07-01"), d("2021-07-31"));
  REQUIRE(std::holds_alternative<bar_series>(nvda));
  CHECK(std::get<bar_series>(nvda).splits.size() == 1);
  CHECK(std::get<bar_series>(nvda).meta.timezone == "America/New_York");

  auto missing = src.fetch("MSFT", d("2021-07-01"), d("2021-07-31"));
  REQUIRE(std::holds_alternative<fetch_error>(missing));
  CHECK(std::get<fetch_error>(missing).kind == fetch_error_kind::not_found);
  CHECK(std::get<fetch_error>(missing).reason.find("MSFT.csv") != std::string::npos);

  auto bad = src.fetch("BAD", d("2021-07-01"), d("2021-07-31"));
  REQUIRE(std::holds_alternative<fetch_error>(bad));
  CHECK(std::get<fetch_error>(bad).kind == fetch_error_kind::garbled);
  CHECK(std::get<fetch_error>(bad).reason.find("BAD.csv:1: no Date/Datetime column") !=
        std::string::npos);

  auto split = src.fetch("SPLIT", d("2023-01-01"), d("2023-12-31"));
  REQUIRE(std::holds_alternative<bar_series>(split));
  REQUIRE(std::get<bar_series>(split).splits.size() == 1);
  CHECK(std::get<bar_series>(split).splits[0].numerator == 0.1);
}

TEST_CASE("source factory: spec strings, errors, shared limits", "[factory]") {
  source_options o;
  o.spec = "synthetic";
  CHECK(std::string{source_factory(o).make()->kind()} == "synthetic");
  o.spec = "csv:" + test::source_dir() + "/test/data/yfinance-csv";
  CHECK(std::string{source_factory(o).make()->kind()} == "csv");
  o.spec = "csv:/nonexistent/dir";
  CHECK_THROWS_WITH(source_factory(o), Catch::Contains("is not a directory"));
  o.spec = "bloomberg";
  CHECK_THROWS_WITH(source_factory(o), Catch::Contains("unknown source 'bloomberg'"));
  o.spec = "yahoo";
  o.yahoo.base_url = "gopher://x";
  CHECK_THROWS_AS(source_factory(o), std::invalid_argument);
  o.yahoo.base_url = "http://127.0.0.1:1";
  source_factory f(o);
  CHECK(std::string{f.kind()} == "yahoo");
  CHECK(f.yahoo_limits() != nullptr);
  CHECK(std::string{f.make()->kind()} == "yahoo");

  CHECK(is_permanent(fetch_error_kind::not_found));
  CHECK(is_permanent(fetch_error_kind::bad_request));
  for (auto k : {fetch_error_kind::throttled, fetch_error_kind::server_error,
                 fetch_error_kind::timeout, fetch_error_kind::garbled, fetch_error_kind::network})
    CHECK_FALSE(is_permanent(k));
  CHECK(std::string{to_string(fetch_error_kind::not_found)} == "not_found");
  CHECK(std::string{to_string(fetch_error_kind::garbled)} == "garbled");
}
