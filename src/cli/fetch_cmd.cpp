// `finstream fetch SYMBOL... --from D --to D [--source yahoo|csv:DIR|synthetic] [--yahoo-url URL]
// [--ca-file F] [--universe FILE] [--output PATH|-]`: daily bars of each symbol as CSV
// `symbol,date,open,high,low,close,adj_close,volume`, ascending by symbol then date, numbers in the
// shortest form that reads back exactly (an empty adj_close: the source's was broken). One request
// per symbol for the whole range (plus the source's retries). Exit 0 when every symbol succeeded;
// 1 with one line per failed symbol otherwise (the other symbols are still written); 2 on bad
// usage.
#include <charconv>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "core/date.hpp"
#include "core/symbol.hpp"
#include "sources/factory.hpp"
#include "sources/universe.hpp"

namespace finstream::cli {

namespace {

constexpr const char* prog = "finstream fetch";

void append_number(std::string& line, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  line.append(buf, r.ptr);
}

void append_rows(std::string& out, const std::string& symbol, const std::vector<bar>& bars) {
  char date[10];
  for (const bar& b : bars) {
    out += symbol;
    out += ',';
    format_date(b.date, date);
    out.append(date, 10);
    for (double v : {b.open, b.high, b.low, b.close, b.adj_close}) {
      out += ',';
      if (v == v) append_number(out, v); // NaN adj_close (broken at the source): empty field
    }
    out += ',';
    out += std::to_string(b.volume);
    out += '\n';
  }
}

} // namespace

int run_fetch(int argc, char** argv) {
  CLI::App app{"Fetch daily bars of symbols from a market-data source, as CSV"};
  std::vector<std::string> args;
  std::string from_s, to_s, universe, output = "-";
  source_options opt;
  app.add_option("symbols", args, "symbols, e.g. AAPL BRK-B ^GSPC EURUSD=X");
  app.add_option("--universe", universe, "file of symbols, one per line ('#' comments)");
  app.add_option("--from", from_s, "first date, YYYY-MM-DD (exchange-local, inclusive)")
      ->required();
  app.add_option("--to", to_s, "last date, YYYY-MM-DD (exchange-local, inclusive)")->required();
  app.add_option("--source", opt.spec, "yahoo, csv:DIR or synthetic")->capture_default_str();
  app.add_option("--yahoo-url", opt.yahoo.base_url, "base URL of the Yahoo chart API")
      ->capture_default_str();
  app.add_option("--ca-file", opt.yahoo.ca_file,
                 "PEM file of CA certificates to trust for https (default: system store)");
  app.add_option("--rate", opt.yahoo.rate_per_second, "Yahoo requests per second")
      ->capture_default_str();
  app.add_option("--output", output, "output CSV file, or - for standard output")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  const auto from = parse_date(from_s), to = parse_date(to_s);
  if (!from || !to) {
    std::fprintf(stderr, "%s: --from/--to must be dates YYYY-MM-DD\n", prog);
    return exit_usage;
  }
  if (*from > *to) {
    std::fprintf(stderr, "%s: --from %s is after --to %s\n", prog, from_s.c_str(), to_s.c_str());
    return exit_usage;
  }
  // Sorted and unique: the output is ascending by symbol.
  std::set<std::string> symbols;
  for (const auto& a : args) {
    std::string s = normalize_symbol(a);
    if (auto err = symbol_error(s)) {
      std::fprintf(stderr, "%s: %s\n", prog, err->c_str());
      return exit_usage;
    }
    symbols.insert(std::move(s));
  }
  if (!universe.empty()) {
    try {
      for (auto& s : read_universe(universe))
        symbols.insert(std::move(s));
    } catch (const universe_error& e) {
      std::fprintf(stderr, "%s: %s\n", prog, e.what());
      return exit_usage;
    }
  }
  if (symbols.empty()) {
    std::fprintf(stderr, "%s: no symbol given (SYMBOL... or --universe FILE)\n", prog);
    return exit_usage;
  }

  std::unique_ptr<source> src;
  try {
    src = source_factory(opt).make();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return exit_usage;
  }

  auto out = open_output(output);
  if (!out) {
    std::fprintf(stderr, "%s: %s: cannot open for writing\n", prog, output.c_str());
    return exit_usage;
  }

  const bool progress = symbols.size() > 1 && isatty(STDERR_FILENO);
  std::string buf = "symbol,date,open,high,low,close,adj_close,volume\n";
  bool write_ok = true;
  auto flush = [&] {
    write_ok = write_ok && std::fwrite(buf.data(), 1, buf.size(), out.get()) == buf.size();
    buf.clear();
  };
  std::vector<std::string> failures;
  std::size_t done = 0, bars = 0;
  for (const auto& symbol : symbols) {
    fetch_result r = src->fetch(symbol, *from, *to);
    if (auto* e = std::get_if<fetch_error>(&r)) {
      failures.push_back(symbol + ": " + to_string(e->kind) + ": " + e->reason);
    } else {
      const auto& s = std::get<bar_series>(r);
      append_rows(buf, symbol, s.bars);
      bars += s.bars.size();
      if (buf.size() > (1u << 20)) flush();
    }
    ++done;
    if (progress)
      std::fprintf(stderr, "\r%s: %zu/%zu symbols, %zu bars, %zu failed", prog, done,
                   symbols.size(), bars, failures.size());
  }
  flush();
  if (progress) std::fputc('\n', stderr);
  if (std::fflush(out.get()) != 0) write_ok = false;
  if (!write_ok) {
    std::fprintf(stderr, "%s: %s: write failed\n", prog, output == "-" ? "stdout" : output.c_str());
    return exit_failure;
  }
  for (const auto& f : failures)
    std::fprintf(stderr, "%s: %s\n", prog, f.c_str());
  return failures.empty() ? exit_ok : exit_failure;
}

} // namespace finstream::cli
