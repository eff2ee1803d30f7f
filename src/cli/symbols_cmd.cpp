// `finstream symbols retry|drop|undrop SYMBOL...`: an operator's actions on symbols, recorded in
// PostgreSQL and honoured by the active manager at its next tick (no SQL needed).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/symbol.hpp"
#include "pg/connection.hpp"
#include "pg/migrations.hpp"
#include "pg/symbol_admin.hpp"

namespace finstream::cli {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : " ") + s;
  return out.empty() ? "none" : out;
}

} // namespace

int run_symbols(int argc, char** argv) {
  CLI::App app{"Acts on symbols through PostgreSQL; the active manager honours it at its next\n"
               "tick:\n"
               "  retry SYMBOL...   failed symbols (permanent failures too) are planned again\n"
               "  drop SYMBOL...    excluded from the universe, whatever the universe file says;\n"
               "                    stored rows are kept unless --purge (a purge fences the\n"
               "                    processors' in-flight batches like a partition claim)\n"
               "  undrop SYMBOL...  the exclusion is removed",
               "finstream symbols"};
  app.require_subcommand(1, 1);
  app.fallthrough(); // --pg and friends after the subcommand belong to the parent
  std::vector<std::string> raw;
  bool purge = false;
  auto* retry = app.add_subcommand("retry", "plan failed symbols again");
  auto* drop = app.add_subcommand("drop", "exclude symbols from the universe");
  auto* undrop = app.add_subcommand("undrop", "remove exclusions");
  for (auto* sub : {retry, drop, undrop})
    sub->add_option("symbols", raw, "symbols (e.g. AAPL BRK-B)")->required();
  drop->add_flag("--purge", purge, "also delete the symbols' stored rows (fenced)");
  option_binder binder{app, {"pg.dsn", "pg.dsn_file", "log.level"}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  std::vector<std::string> symbols;
  std::string dsn;
  try {
    auto s = binder.resolve();
    for (const auto& r : raw) {
      auto sym = normalize_symbol(r);
      if (auto err = symbol_error(sym))
        throw std::invalid_argument("'" + r + "' is not a valid symbol: " + *err);
      symbols.push_back(sym);
    }
    dsn = resolve_dsn(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream symbols: %s\n", e.what());
    return exit_usage;
  }
  pg::connection conn{dsn};
  pg::migrate(conn);
  if (*retry) {
    auto reset = pg::retry_symbols(conn, symbols);
    std::printf("retry: %zu of %zu symbol(s) were failed and will be planned again: %s\n",
                reset.size(), symbols.size(), joined(reset).c_str());
  } else if (*drop) {
    auto added = pg::exclude_symbols(conn, symbols);
    std::printf("drop: %zu symbol(s) newly excluded: %s\n", added.size(), joined(added).c_str());
    if (purge) {
      auto r = pg::purge_symbols(conn, symbols);
      std::printf("purge: %zu stored row(s) deleted; %zu partition claim(s) fenced\n", r.rows,
                  r.fenced_partitions);
    }
  } else {
    auto removed = pg::include_symbols(conn, symbols);
    std::printf("undrop: %zu symbol(s) no longer excluded: %s\n", removed.size(),
                joined(removed).c_str());
  }
  return exit_ok;
}

} // namespace finstream::cli
