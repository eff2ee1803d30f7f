// `finstream backfill`: asks a running deployment's manager to (re)fetch a range, through
// PostgreSQL.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pg/backfill_store.hpp"
#include "pg/connection.hpp"
#include "pg/migrations.hpp"

namespace finstream::cli {

int run_backfill(int argc, char** argv) {
  CLI::App app{
      "Records a backfill request in PostgreSQL; the active manager of the deployment using\n"
      "that database picks it up at its next tick and plans one task per symbol for the\n"
      "range, even for symbols already complete. Ranges before a symbol's first stored date\n"
      "extend its history (its indicators are then recomputed from the start); they are\n"
      "planned through the symbol's last stored date, so that no hole is left and the source\n"
      "reports every split the stored rows reflect. A range after the stored rows starts the\n"
      "day after them.",
      "finstream backfill"};
  std::string from_text, to_text;
  app.add_option("--from", from_text, "first date (YYYY-MM-DD)")->required();
  app.add_option("--to", to_text, "last date (YYYY-MM-DD; default: yesterday UTC)");
  option_binder binder{app, {"universe.symbols", "pg.dsn", "pg.dsn_file", "log.level"}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  std::vector<std::string> symbols;
  day_t from = 0, to = 0;
  std::string dsn;
  try {
    auto s = binder.resolve();
    auto f = parse_date(from_text);
    if (!f) throw std::invalid_argument("--from: '" + from_text + "' is not a date YYYY-MM-DD");
    from = *f;
    to = today_utc() - 1;
    if (!to_text.empty()) {
      auto t = parse_date(to_text);
      if (!t) throw std::invalid_argument("--to: '" + to_text + "' is not a date YYYY-MM-DD");
      to = *t;
    }
    if (to < from) throw std::invalid_argument("--to is before --from");
    if (!s.str("universe.symbols").empty()) symbols = make_universe(s)();
    dsn = resolve_dsn(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream backfill: %s\n", e.what());
    return exit_usage;
  }
  pg::connection conn{dsn};
  pg::migrate(conn);
  auto id = pg::request_backfill(conn, symbols, from, to);
  std::printf("backfill request %lld recorded: %s, %s .. %s\n", static_cast<long long>(id),
              symbols.empty() ? "every symbol of the universe"
                              : (std::to_string(symbols.size()) + " symbol(s)").c_str(),
              format_date(from).c_str(), format_date(to).c_str());
  return exit_ok;
}

} // namespace finstream::cli
