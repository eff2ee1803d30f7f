// `finstream indicators --input PATH [--indicators SPEC] [--output PATH|-]`: computes indicators
// over a bar file (Yahoo chart JSON, yfinance CSV export or plain OHLCV CSV, detected from the
// content) and writes CSV: date,open,high,low,close,volume then one column per indicator output,
// an empty cell where an output has no value yet, numbers in the shortest form that reads back
// exactly. Bad input: one line naming file, line and reason, exit 2.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/date.hpp"
#include "indicators/indicator_set.hpp"
#include "sources/bar_files.hpp"

namespace finstream::cli {

namespace {

constexpr const char* prog = "finstream indicators";

// Appends one CSV row; `line` is reused between rows (no allocation once grown).
void append_row(std::string& line, const bar& b, const double* values, std::size_t n) {
  char buf[40];
  format_date(b.date, buf);
  line.append(buf, 10);
  for (double v : {b.open, b.high, b.low, b.close}) {
    line += ',';
    line.append(buf, indicators::format_number(v, buf));
  }
  line += ',';
  line += std::to_string(b.volume);
  for (std::size_t i = 0; i < n; ++i) {
    line += ',';
    if (!std::isnan(values[i])) line.append(buf, indicators::format_number(values[i], buf));
  }
  line += '\n';
}

} // namespace

int run_indicators(int argc, char** argv) {
  CLI::App app{"Compute technical indicators over a bar file, equal to TA-Lib bar for bar"};
  std::string input, output = "-", spec = indicators::indicator_set::default_spec();
  app.add_option("--input", input,
                 "bar file: Yahoo chart API response (JSON), yfinance CSV export, or plain "
                 "date,open,high,low,close,volume CSV (detected from the content)")
      ->required();
  app.add_option("--indicators", spec,
                 "comma list, e.g. rsi(14),macd(12,26,9),bbands(20,2); omitted parameters take "
                 "their defaults. Known: " +
                     indicators::known_indicators())
      ->capture_default_str();
  app.add_option("--output", output, "output CSV file, or - for standard output")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  std::unique_ptr<indicators::indicator_set> set;
  try {
    set = std::make_unique<indicators::indicator_set>(indicators::indicator_set::parse(spec));
  } catch (const indicators::spec_error& e) {
    std::fprintf(stderr, "%s: --indicators: %s\n", prog, e.what());
    return exit_usage;
  }

  bar_series series;
  read_report report;
  try {
    series = read_bar_file(input, report);
  } catch (const bar_file_error& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return exit_usage;
  }
  if (report.rows_skipped > 0)
    std::fprintf(stderr,
                 "%s: warning: %s: skipped %zu row(s) with missing, non-numeric or non-positive "
                 "prices (first: %s)\n",
                 prog, input.c_str(), report.rows_skipped, report.first_skip_reason.c_str());
  if (report.adj_closes_missing > 0)
    std::fprintf(stderr,
                 "%s: warning: %s: kept %zu bar(s) with a missing, non-numeric or non-positive "
                 "adjusted close as adj_close NULL (first: %s)\n",
                 prog, input.c_str(), report.adj_closes_missing,
                 report.first_adj_close_missing.c_str());
  if (report.duplicates_replaced > 0)
    std::fprintf(stderr, "%s: warning: %s: %zu repeated date(s), the last row of each was kept\n",
                 prog, input.c_str(), report.duplicates_replaced);

  auto out = open_output(output);
  if (!out) {
    std::fprintf(stderr, "%s: %s: cannot open for writing\n", prog, output.c_str());
    return exit_usage;
  }

  std::string line = "date,open,high,low,close,volume";
  for (const auto& c : set->column_names())
    line += ',' + c;
  line += '\n';
  std::vector<double> values(set->output_count());
  bool ok = true;
  for (const auto& b : series.bars) {
    set->update(b, values.data());
    append_row(line, b, values.data(), values.size());
    if (line.size() > (1 << 16)) {
      ok = ok && std::fwrite(line.data(), 1, line.size(), out.get()) == line.size();
      line.clear();
    }
  }
  ok = ok && std::fwrite(line.data(), 1, line.size(), out.get()) == line.size();
  ok = ok && std::fflush(out.get()) == 0;
  if (!ok) {
    std::fprintf(stderr, "%s: %s: write failed\n", prog, output == "-" ? "stdout" : output.c_str());
    return exit_failure;
  }
  return exit_ok;
}

} // namespace finstream::cli
