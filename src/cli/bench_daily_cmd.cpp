// `finstream bench daily --kafka … --pg … [--symbols N]`: what one new trading day costs with 1 year
// and with 20 years of stored history. For each history length, a scratch pipeline is backfilled
// (not timed) through 2020-12-30, then the whole pipeline runs again for the next trading day,
// 2020-12-31, as the daily run does: a new runtime (manager planning from symbol_state, agents
// fetching the revision window and the new day, processors restoring each symbol's state, the sink
// appending), timed from its construction until its manager is idle. Prints both times and their
// ratio; the last line is `daily_ratio=<20-year time / 1-year time>`.
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "cli/bench_pipeline.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "metrics/metrics.hpp"
#include "pg/connection.hpp"

namespace finstream::cli {

namespace {

struct daily_result {
  double backfill_seconds = 0;
  long long stored_rows = 0;
  double seconds = 0;        // the new day, end to end
  double sink_seconds = 0;   // of which in sink transactions
  long long new_rows = 0;    // rows of the new day (one per symbol)
  double append_batches = 0; // batches of the new day by sink path
  double staged_batches = 0;
};

double counter_value(const char* path) {
  return metrics::registry::global()
      .counter("finstream_pg_row_batches_total", "", {{"path", path}})
      .value();
}

double commit_seconds() {
  return metrics::registry::global()
      .histogram("finstream_pg_commit_seconds", "", metrics::default_latency_buckets())
      .sum();
}

} // namespace

int run_bench_daily(int argc, char** argv) {
  CLI::App app{"A new trading day's cost with 1 and with 20 years of stored history (synthetic\n"
               "universe through Kafka into PostgreSQL), and their ratio.",
               "finstream bench daily"};
  pipeline_options o{app, 1000};
  if (auto rc = o.parse(app, argc, argv, "daily")) return *rc;
  const int symbols = o.symbols, agents = o.agents, processors = o.processors,
            partitions = o.partitions;
  const auto& s = o.s;
  const auto& dsn = o.dsn;
  std::printf("symbols=%d agents=%d processors=%d partitions=%d\n", symbols, agents, processors,
              partitions);
  std::fflush(stdout);
  const day_t last_stored = make_day(2020, 12, 30), new_day = make_day(2020, 12, 31);
  const std::string tag = "finstream_bench_" + std::to_string(::getpid());
  try {
    daily_result results[2];
    const int histories[2] = {1, 20};
    for (int i = 0; i < 2; ++i) {
      const int years = histories[i];
      auto& r = results[i];
      scratch_pipeline p{s, dsn, tag + "_" + std::to_string(years) + "y", partitions};
      pg::connection c{p.dsn()};
      const day_t from = make_day(2020 - years + 1, 1, 1);
      r.backfill_seconds =
          run_until_idle(p.config(symbols, from, last_stored, agents, processors));
      r.stored_rows = std::stoll(c.exec("SELECT count(*) FROM technical_indicators").str(0, 0));
      // As autovacuum would have by the next day: the planner's statistics are current.
      c.exec("VACUUM ANALYZE");
      std::printf("history_%dy        backfill_seconds=%.1f stored_rows=%lld\n", years,
                  r.backfill_seconds, r.stored_rows);
      std::fflush(stdout);

      const double append0 = counter_value("append");
      const double staged0 = counter_value("insert") + counter_value("upsert");
      const double sink0 = commit_seconds();
      r.seconds = run_until_idle(p.config(symbols, from, new_day, agents, processors));
      r.sink_seconds = commit_seconds() - sink0;
      r.append_batches = counter_value("append") - append0;
      r.staged_batches = counter_value("insert") + counter_value("upsert") - staged0;
      r.new_rows = std::stoll(
          c.query("SELECT count(*) FROM technical_indicators WHERE date = $1", format_date(new_day))
              .str(0, 0));
      std::printf("daily_%dy          seconds=%.3f sink_seconds=%.3f new_rows=%lld "
                  "batches_append=%.0f batches_staged=%.0f\n",
                  years, r.seconds, r.sink_seconds, r.new_rows, r.append_batches,
                  r.staged_batches);
      std::fflush(stdout);
      if (r.new_rows != symbols)
        throw std::runtime_error("the new day stored " + std::to_string(r.new_rows) +
                                 " rows, expected one per symbol (" + std::to_string(symbols) +
                                 ")");
    }
    std::printf("daily_ratio=%.2f\n", results[1].seconds / results[0].seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench daily: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

} // namespace finstream::cli
