// libFuzzer target: Yahoo chart API v8 bodies (parse_yahoo_chart, find_yahoo_error).
// clang-format off
// fuzz-sources: src/sources/bar_files.cpp src/core/*.cpp
// fuzz-seeds: test/data/yahoo-chart/*.json
// clang-format on
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "sources/bar_files.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body{reinterpret_cast<const char*>(data), size};
  if (auto err = find_yahoo_error(body)) {
    for (char c : err->code + err->description)
      fuzz::check(static_cast<unsigned char>(c) >= 0x20, "yahoo error strings printable");
  }
  read_report report;
  std::optional<yahoo_trading_period> period;
  try {
    auto series = parse_yahoo_chart(body, "chart.json", report, period);
    fuzz::check_bars(series.bars);
    fuzz::check(report.rows_read >= series.bars.size(), "bars kept <= bars read");
    for (std::size_t i = 1; i < series.splits.size(); ++i)
      fuzz::check(series.splits[i - 1].date <= series.splits[i].date, "splits ascending");
    for (std::size_t i = 1; i < series.dividends.size(); ++i)
      fuzz::check(series.dividends[i - 1].date <= series.dividends[i].date, "dividends ascending");
  } catch (const bar_file_error& e) {
    fuzz::check_one_line(e.what(), "bar_file_error is one line");
  }
  return 0;
}
