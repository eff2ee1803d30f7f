// `finstream export --pg DSN [--symbols A,B] [--from D] [--to D] [--indicators SPEC] [--output
// PATH|-]`: the stored rows of technical_indicators as CSV (layout of `finstream indicators` with a
// leading symbol column and adj_close), streamed from PostgreSQL with COPY TO.
#include <cstdio>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/output.hpp"
#include "cli/settings.hpp"
#include "indicators/indicator_set.hpp"
#include "ui/export.hpp"

namespace finstream::cli {

namespace {

constexpr const char* prog = "finstream export";

struct write_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<day_t> date_option(const std::string& text, const char* flag) {
  if (text.empty()) return std::nullopt;
  auto d = parse_date(text);
  if (!d)
    throw std::invalid_argument(std::string{flag} + ": '" + text + "' is not a date YYYY-MM-DD");
  return d;
}

} // namespace

int run_export(int argc, char** argv) {
  CLI::App app{"Write stored rows of technical_indicators as CSV: symbol,date,open,high,low,close,"
               "adj_close,volume then the indicator columns as `finstream indicators` names them; "
               "streamed with COPY TO (flat memory whatever the size)",
               prog};
  option_binder binder{app, {"pg.dsn", "pg.dsn_file"}};
  std::string symbols, from, to, output = "-";
  std::string spec = indicators::indicator_set::default_spec();
  app.add_option("--symbols", symbols, "comma-separated symbols (default: every stored symbol)");
  app.add_option("--from", from, "first date, YYYY-MM-DD (default: the first stored)");
  app.add_option("--to", to, "last date, YYYY-MM-DD (default: the last stored)");
  app.add_option("--indicators", spec,
                 "indicator outputs to write, as `finstream indicators --indicators` takes them; "
                 "each must be stored in technical_indicators")
      ->capture_default_str();
  app.add_option("--output", output, "output CSV file, or - for standard output")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  ui::export_request req;
  std::string dsn;
  try {
    dsn = resolve_dsn(binder.resolve());
    req.symbols = split_symbols(symbols);
    req.from = date_option(from, "--from");
    req.to = date_option(to, "--to");
    req.spec = spec;
    indicators::indicator_set::parse(spec);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return exit_usage;
  }
  auto out = open_output(output);
  if (!out) {
    std::fprintf(stderr, "%s: %s: cannot open for writing\n", prog, output.c_str());
    return exit_usage;
  }
  const std::string where = output == "-" ? std::string{"stdout"} : output;
  try {
    pg::connection conn{dsn};
    auto rows = ui::export_csv(conn, req, [&](std::string_view chunk) {
      if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size())
        throw write_failed(where + ": write failed");
    });
    if (std::fflush(out.get()) != 0) throw write_failed(where + ": write failed");
    std::fprintf(stderr, "%s: %lld row(s) written to %s\n", prog, static_cast<long long>(rows),
                 where.c_str());
    return exit_ok;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return exit_failure;
  }
}

} // namespace finstream::cli
