// libFuzzer target: yfinance and plain OHLCV CSV files (sources/bar_files parse_bar_csv).
// clang-format off
// fuzz-sources: src/sources/bar_files.cpp src/core/*.cpp
// fuzz-max-len: 4096
// fuzz-seeds: test/data/yfinance-csv/*.csv test/data/golden/short.min.csv test/data/golden/ties.min.csv
// clang-format on
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "sources/bar_files.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  (void)detect_bar_format(text);
  read_report report;
  try {
    auto series = parse_bar_csv(text, "bars.csv", report);
    fuzz::check_bars(series.bars);
    fuzz::check(report.rows_read >= series.bars.size(), "bars kept <= rows read");
    fuzz::check(report.rows_skipped == 0 || !report.first_skip_reason.empty(),
                "a skipped row has a reason");
    for (const auto& s : series.splits)
      fuzz::check(std::isfinite(s.numerator) && s.numerator > 0 && s.denominator > 0,
                  "split factors > 0");
  } catch (const bar_file_error& e) {
    fuzz::check_one_line(e.what(), "bar_file_error is one line");
  }
  return 0;
}
