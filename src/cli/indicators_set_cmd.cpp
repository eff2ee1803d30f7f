// `finstream indicators-set add|remove|list [SPEC...]`: the indicator set stored in
// technical_indicators, changed in PostgreSQL; running processors follow at a batch boundary.
#include <algorithm>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/indicators_set.hpp"
#include "indicators/table_columns.hpp"
#include "pg/indicator_sets.hpp"
#include "pg/migrations.hpp"

namespace finstream::cli {

namespace {

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

} // namespace

indicators::indicator_set stored_indicator_set(pg::connection& c) {
  auto stored = pg::read_indicator_set(c);
  return stored ? indicators::indicator_set::parse(stored->spec)
                : indicators::indicator_set::default_set();
}

std::string apply_indicator_set(pg::connection& c, const indicators::indicator_set& set) {
  const auto before = pg::read_indicator_set(c);
  const auto old_items = before ? indicators::indicator_set::parse(before->spec).item_specs()
                                : indicators::indicator_set::default_set().item_specs();
  bool adds = false;
  for (const auto& item : set.item_specs())
    adds = adds || std::find(old_items.begin(), old_items.end(), item) == old_items.end();
  const auto change = pg::write_indicator_set(c, set.spec(), indicators::table_columns(set), adds);
  std::string out = change.changed ? "indicator set version " + std::to_string(change.now.version) +
                                         ": " + change.now.spec
                                   : "indicator set unchanged at version " +
                                         std::to_string(change.now.version) + ": " +
                                         change.now.spec;
  if (!change.added_columns.empty())
    out += "; columns added: " + joined(change.added_columns, ", ");
  if (change.fill_pending > 0)
    out += "; " + std::to_string(change.fill_pending) +
           " symbol(s) to fill by the running processors";
  return out;
}

int run_indicators_set(int argc, char** argv) {
  CLI::App app{"The indicator set stored in technical_indicators (in PostgreSQL; running\n"
               "processors follow a change at their next batch boundary, no restart):\n"
               "  list              the active set, its columns, and symbols left to fill\n"
               "  add SPEC...       adds indicators (e.g. 'sma(200)' 'rsi(7)'); their columns are\n"
               "                    added, and the processors compute them over the stored\n"
               "                    history of every symbol (only them: the others stay)\n"
               "  remove SPEC...    stops computing them; their columns and values stay (drop a\n"
               "                    column yourself with ALTER TABLE ... DROP COLUMN)",
               "finstream indicators-set"};
  app.require_subcommand(1, 1);
  app.fallthrough();
  std::vector<std::string> specs;
  auto* list = app.add_subcommand("list", "show the active set");
  auto* add = app.add_subcommand("add", "add indicators");
  auto* remove = app.add_subcommand("remove", "remove indicators");
  for (auto* sub : {add, remove})
    sub->add_option("specs", specs, "indicator specs, e.g. sma(200) rsi(7)")->required();
  option_binder binder{app, {"pg.dsn", "pg.dsn_file", "log.level"}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  std::string dsn;
  std::vector<std::string> items;
  try {
    dsn = resolve_dsn(binder.resolve());
    for (const auto& s : specs) {
      const auto parsed = indicators::indicator_set::parse(s);
      items.insert(items.end(), parsed.item_specs().begin(), parsed.item_specs().end());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream indicators-set: %s\n", e.what());
    return exit_usage;
  }
  try {
    pg::connection conn{dsn};
    pg::migrate(conn);
    const auto current = stored_indicator_set(conn);
    if (*list) {
      const auto stored = pg::read_indicator_set(conn);
      std::printf("version %lld: %s\n", static_cast<long long>(stored ? stored->version : 0),
                  current.spec().c_str());
      for (std::size_t i = 0; i < current.items().size(); ++i)
        std::printf("  %-20s %s\n", current.item_specs()[i].c_str(),
                    joined(indicators::table_columns(current, i), ", ").c_str());
      std::printf("symbols left to fill: %lld\n",
                  static_cast<long long>(pg::fill_pending_count(conn)));
      return exit_ok;
    }
    auto next = current.item_specs();
    for (const auto& item : items) {
      auto at = std::find(next.begin(), next.end(), item);
      if (*add && at == next.end()) next.push_back(item);
      if (*remove) {
        if (at == next.end())
          throw indicators::spec_error(item + " is not in the active set (" + current.spec() +
                                       ")");
        next.erase(at);
      }
    }
    if (next.empty()) throw indicators::spec_error("the indicator set cannot be empty");
    const auto set = indicators::indicator_set::parse(joined(next, ","));
    std::printf("%s\n", apply_indicator_set(conn, set).c_str());
    return exit_ok;
  } catch (const indicators::spec_error& e) {
    std::fprintf(stderr, "finstream indicators-set: %s\n", e.what());
    return exit_usage;
  } catch (const pg::pg_error& e) {
    std::fprintf(stderr, "finstream indicators-set: %s\n", e.what());
    return exit_failure;
  }
}

} // namespace finstream::cli
