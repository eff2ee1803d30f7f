// `finstream migrate [--pg DSN | --pg-file FILE] [--wait S] [--plan]`: creates or upgrades the
// PostgreSQL schema (see pg/migrations.hpp), adopting the original system's tables when it finds
// them (pg/adopt.hpp). Safe to run from several replicas at once, and to re-run.
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/settings.hpp"
#include "pg/dsn.hpp"
#include "pg/indicator_sets.hpp"
#include "pg/migrations.hpp"
#include "cli/indicators_set.hpp"

namespace finstream::cli {

namespace {

// The DSN by precedence: --pg, --pg-file, then the config file / FINSTREAM_PG_DSN(_FILE) layer,
// then FINSTREAM_PG, FINSTREAM_PG_FILE, then libpq's own PG* environment.
std::string versions(const std::vector<int>& v) {
  std::string out;
  for (int x : v)
    out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

} // namespace

int run_migrate(int argc, char** argv) {
  CLI::App app{"Create or upgrade finstream's PostgreSQL schema (idempotent, safe to run "
               "concurrently). On a database holding the original system's technical_indicators\n"
               "and symbol_state it adopts them in place: rows kept, (symbol, date) made the key,\n"
               "missing columns added, coverage derived from the stored rows, indicators\n"
               "recomputed by the processors from the stored bars. --plan shows the steps first."};
  option_binder binder{app, {"pg.dsn", "pg.dsn_file", "indicators"}};
  int wait_s = 30;
  bool plan = false;
  app.add_option("--wait", wait_s, "seconds to keep retrying while the server is unreachable")
      ->check(CLI::Range(0, 3600));
  app.add_flag("--plan", plan, "print what migrate would do (versions, adoption steps) and change "
                               "nothing");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  std::string dsn;
  std::optional<indicators::indicator_set> configured;
  try {
    const auto s = binder.resolve();
    dsn = resolve_dsn(s);
    if (!s.str("indicators").empty())
      configured = indicators::indicator_set::parse(s.str("indicators"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream migrate: %s\n", e.what());
    return exit_usage;
  }
  try {
    pg::reconnect_policy policy;
    policy.give_up_after = std::chrono::seconds{wait_s};
    // Adopting a large original table rewrites it and builds its key: no statement time limit.
    auto limits = pg::default_session_limits();
    limits.statement_timeout = std::chrono::milliseconds{0};
    pg::set_default_session_limits(limits);
    pg::connection conn{dsn, policy};
    pg::migrate_options opts;
    opts.adopt_original = true;
    opts.plan_only = plan;
    const auto r = pg::migrate(conn, opts);
    if (plan) {
      if (r.plan.empty())
        std::printf("schema up to date at version %d (%s): nothing to do\n", r.version,
                    conn.redacted_dsn().c_str());
      else
        std::printf("schema at version %d (%s); finstream migrate will apply:\n", r.version,
                    conn.redacted_dsn().c_str());
      for (const auto& line : r.plan)
        std::printf("  %s\n", line.c_str());
      if (configured)
        std::printf("  store the configured indicator set %s (columns it lacks added)\n",
                    configured->spec().c_str());
      std::printf("nothing changed (--plan)\n");
      return exit_ok;
    }
    if (r.adopted)
      std::printf("adopted the original system's tables: rows kept, coverage derived from them, "
                  "every adopted symbol's indicators recomputed by the processors from its stored "
                  "bars at the first tasks\n");
    if (r.applied.empty())
      std::printf("schema up to date at version %d (%s)\n", r.version, conn.redacted_dsn().c_str());
    else
      std::printf("schema at version %d: applied %s (%s)\n", r.version, versions(r.applied).c_str(),
                  conn.redacted_dsn().c_str());
    // The configured set, else (a new database) the default one, becomes the stored set.
    if (configured || !pg::read_indicator_set(conn))
      std::printf("%s\n",
                  apply_indicator_set(conn, configured ? *configured : stored_indicator_set(conn))
                      .c_str());
    return exit_ok;
  } catch (const indicators::spec_error& e) {
    std::fprintf(stderr, "finstream migrate: %s\n", e.what());
    return exit_usage;
  } catch (const pg::pg_error& e) {
    std::fprintf(stderr, "finstream migrate: %s\n", e.what());
    return e.kind() == pg::error_kind::other && e.sqlstate().empty() ? exit_usage : exit_failure;
  }
}

} // namespace finstream::cli
