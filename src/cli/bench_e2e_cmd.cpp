// `finstream bench e2e --kafka … --pg … [--symbols N --years Y]`: a synthetic universe through the
// real broker into PostgreSQL with the full default indicator set (manager, agents and processors
// in this process, bound through Kafka exactly as `finstream run`), next to a plain COPY of the
// same rows into an equivalent table measured in the same run. Scratch schema and topics, removed
// at the end. The last line is `bars_per_s=<end-to-end throughput>`.
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "actors/runtime.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/log.hpp"
#include "kafka/admin.hpp"
#include "metrics/metrics.hpp"
#include "pg/copy_format.hpp"
#include "pg/dsn.hpp"
#include "pg/migrations.hpp"
#include "sources/synthetic.hpp"

namespace finstream::cli {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// The stored rows, read back for the plain COPY baseline (not timed).
std::vector<indicator_row> read_rows(pg::connection& c) {
  auto r = c.exec("SELECT " + pg::indicator_table_columns() + " FROM technical_indicators");
  std::vector<indicator_row> rows(static_cast<std::size_t>(r.rows()));
  auto num = [&](int i, int j) { return r.is_null(i, j) ? std::nan("") : std::stod(r.str(i, j)); };
  for (int i = 0; i < r.rows(); ++i) {
    auto& row = rows[static_cast<std::size_t>(i)];
    row.symbol = r.str(i, 0);
    row.b.date = *parse_date(r.str(i, 1));
    row.b.open = num(i, 2);
    row.b.high = num(i, 3);
    row.b.low = num(i, 4);
    row.b.close = num(i, 5);
    row.b.adj_close = num(i, 6);
    row.b.volume = std::stoll(r.str(i, 7));
    row.values.resize(indicator_column_count);
    for (std::size_t k = 0; k < indicator_column_count; ++k)
      row.values[k] = num(i, static_cast<int>(8 + k));
  }
  return rows;
}

} // namespace

int run_bench_e2e(int argc, char** argv) {
  CLI::App app{"End-to-end throughput: a synthetic universe through Kafka into PostgreSQL (full\n"
               "default indicator set), next to a plain COPY of the same rows in the same run.",
               "finstream bench e2e"};
  // Large enough that the consumer groups' start-up (~2 s of joins and rebalances) is not what is
  // measured: 500 × 20 years ≈ 2.6 million bars.
  int symbols = 500;
  int years = 20;
  int agents = 2;
  int processors = 2;
  int partitions = 30;
  app.add_option("--symbols", symbols, "synthetic symbols")->check(CLI::Range(1, 100000));
  app.add_option("--years", years, "years of daily bars per symbol (ending 2020-12-31)")
      ->check(CLI::Range(1, 60));
  app.add_option("--agents", agents, "agent actors")->check(CLI::Range(1, 64));
  app.add_option("--processors", processors, "processor actors")->check(CLI::Range(1, 64));
  app.add_option("--partitions", partitions, "partitions of the scratch topics")
      ->check(CLI::Range(1, 1000));
  option_binder binder{app,
                       {"kafka.bootstrap", "pg.dsn", "pg.dsn_file", "log.level",
                        "processor.batch_rows", "processor.batch_ms", "processor.max_inflight"}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  settings s;
  std::string dsn;
  try {
    s = binder.resolve();
    log::setup(s.origin("log.level") == "flag" ? s.str("log.level") : std::string{"warn"});
    dsn = resolve_dsn(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench e2e: %s\n", e.what());
    return exit_usage;
  }
  const std::string tag = "finstream_bench_" + std::to_string(::getpid());
  pg::connection admin_conn{dsn};
  const auto qschema = pg::quote_identifier(admin_conn, tag);
  admin_conn.exec("DROP SCHEMA IF EXISTS " + qschema + " CASCADE");
  admin_conn.exec("CREATE SCHEMA " + qschema);
  std::string options;
  for (const auto& [k, v] : pg::dsn_settings(dsn))
    if (k == "options") options = v + " ";
  const auto bench_dsn = pg::dsn_with(dsn, {{"options", options + "-c search_path=" + tag}});

  actors::kafka_topology k;
  k.client.bootstrap_servers = s.str("kafka.bootstrap");
  k.task_topic = tag + "_tasks";
  k.data_topic = tag + "_bars";
  k.agent_group = tag + "_agents";
  k.processor_group = tag + "_processors";
  k.partitions = partitions;

  int rc = exit_ok;
  try {
    pg::connection c{bench_dsn};
    pg::migrate(c);
    actors::runtime_config cfg;
    cfg.roles = {1, agents, processors};
    cfg.kafka = k;
    cfg.dsn = bench_dsn;
    auto universe = synthetic_symbols(static_cast<std::size_t>(symbols));
    cfg.universe = [universe] { return universe; };
    cfg.manager.from = make_day(2020 - years + 1, 1, 1);
    cfg.manager.to = make_day(2020, 12, 31);
    cfg.manager_poll = std::chrono::milliseconds{100};
    cfg.processing = make_processor_options(s);
    source_options so;
    so.spec = "synthetic";
    auto factory = std::make_shared<source_factory>(so);
    cfg.make_source = [factory] { return factory->make(); };
    std::printf("symbols=%d years=%d agents=%d processors=%d partitions=%d batch_rows=%zu\n",
                symbols, years, agents, processors, partitions, cfg.processing.batch_rows);
    std::fflush(stdout);

    const auto t0 = clock_type::now();
    double seconds = 0;
    {
      actors::runtime rt{cfg};
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        auto p = rt.progress();
        if (p && p->idle) break;
        if (since(t0) > 3600) throw std::runtime_error("not done within an hour");
      }
      seconds = since(t0);
    }
    const auto bars = std::stoll(c.exec("SELECT count(*) FROM technical_indicators").str(0, 0));
    const double e2e_rate = static_cast<double>(bars) / seconds;
    std::printf("e2e                seconds=%.3f bars=%lld bars_per_s=%.0f\n", seconds, bars,
                e2e_rate);
    {
      auto& reg = metrics::registry::global();
      // Same bounds as the sink registers them (pg/sink.cpp).
      auto& batch_rows =
          reg.histogram("finstream_pg_batch_rows", "", metrics::exponential_buckets(1, 4, 9));
      auto& commit =
          reg.histogram("finstream_pg_commit_seconds", "", metrics::default_latency_buckets());
      auto n = batch_rows.count();
      std::printf("sink               batches=%llu mean_rows=%.0f mean_commit_ms=%.1f\n",
                  static_cast<unsigned long long>(n),
                  n ? batch_rows.sum() / static_cast<double>(n) : 0.0,
                  commit.count() ? 1000 * commit.sum() / static_cast<double>(commit.count()) : 0.0);
    }

    // Baseline: the same rows, one plain COPY (text, like psql \copy) into a table with the same
    // primary key, in one transaction.
    auto rows = read_rows(c);
    auto enc = pg::encode_rows(rows, default_indicator_columns(), pg::copy_format::text, false);
    c.exec("CREATE TABLE plain_copy (LIKE technical_indicators INCLUDING ALL)");
    c.exec("CHECKPOINT");
    const auto t1 = clock_type::now();
    c.copy_in("COPY plain_copy (" + pg::indicator_table_columns() + ") FROM STDIN", enc.data);
    const double copy_seconds = since(t1);
    const double copy_rate = static_cast<double>(rows.size()) / copy_seconds;
    std::printf("plain_copy_text    seconds=%.3f rows=%zu rows_per_s=%.0f\n", copy_seconds,
                rows.size(), copy_rate);
    std::printf("e2e_vs_plain_copy=%.2f\n", e2e_rate / copy_rate);
    std::printf("bars_per_s=%.0f\n", e2e_rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench e2e: %s\n", e.what());
    rc = exit_failure;
  }
  try {
    admin_conn.exec("DROP SCHEMA IF EXISTS " + qschema + " CASCADE");
    kafka::admin{k.client}.delete_topics(
        {k.task_topic, k.data_topic, k.task_topic + k.dlq_suffix, k.data_topic + k.dlq_suffix});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench e2e: cleanup: %s\n", e.what());
  }
  return rc;
}

} // namespace finstream::cli
