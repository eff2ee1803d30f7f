// `finstream bench e2e --kafka … --pg … [--symbols N --years Y]`: a synthetic universe through the
// real broker into PostgreSQL with the full default indicator set (manager, agents and processors
// in this process, bound through Kafka exactly as `finstream run`). In the same run, for scale:
// the same pipeline with processors writing nowhere (the Kafka share: fetch, publish, consume,
// compute), and a binary COPY (PostgreSQL's fastest way in; text COPY as an extra line) of the
// same rows into a table with the same primary key. Scratch schemas and topics, removed at the
// end. The last line is `bars_per_s=<end-to-end throughput>`.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "actors/runtime.hpp"
#include "cli/bench_pipeline.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "metrics/metrics.hpp"
#include "pg/connection.hpp"
#include "pg/copy_format.hpp"


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

// The processors' writer of the Kafka-share run: commits nothing, counts the rows it was handed.
class discard_writer : public engine::batch_writer {
public:
  explicit discard_writer(std::shared_ptr<std::atomic<std::uint64_t>> rows)
      : rows_(std::move(rows)) {}
  engine::commit_reply write(const engine::commit_request& request) override {
    rows_->fetch_add(request.output.rows.size());
    engine::commit_reply r;
    r.ok = true;
    r.rows = request.output.rows.size();
    return r;
  }

private:
  std::shared_ptr<std::atomic<std::uint64_t>> rows_;
};

} // namespace

int run_bench_e2e(int argc, char** argv) {
  CLI::App app{"End-to-end throughput: a synthetic universe through Kafka into PostgreSQL (full\n"
               "default indicator set), next to a plain COPY of the same rows in the same run.",
               "finstream bench e2e"};
  // Large enough that the consumer groups' start-up (~2 s of joins and rebalances) is not what is
  // measured: 500 × 20 years ≈ 2.6 million bars.
  pipeline_options o{app, 500};
  int years = 20;
  app.add_option("--years", years, "years of daily bars per symbol (ending 2020-12-31)")
      ->check(CLI::Range(1, 60));
  if (auto rc = o.parse(app, argc, argv, "e2e")) return *rc;
  const int symbols = o.symbols, agents = o.agents, processors = o.processors,
            partitions = o.partitions;
  const auto& s = o.s;
  const auto& dsn = o.dsn;
  const std::string tag = "finstream_bench_" + std::to_string(::getpid());
  const day_t from = make_day(2020 - years + 1, 1, 1), to = make_day(2020, 12, 31);

  int rc = exit_ok;
  try {
    // Two scratch pipelines: into PostgreSQL, and with processors writing nowhere.
    scratch_pipeline main_run{s, dsn, tag, partitions};
    pg::connection c{main_run.dsn()};
    const auto cfg = main_run.config(symbols, from, to, agents, processors);
    std::printf("symbols=%d years=%d agents=%d processors=%d partitions=%d batch_rows=%zu\n",
                symbols, years, agents, processors, partitions, cfg.processing.batch_rows);
    std::fflush(stdout);

    const double seconds = run_until_idle(cfg);
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
      std::printf("sink_paths         append=%.0f insert=%.0f upsert=%.0f\n",
                  reg.counter("finstream_pg_row_batches_total", "", {{"path", "append"}}).value(),
                  reg.counter("finstream_pg_row_batches_total", "", {{"path", "insert"}}).value(),
                  reg.counter("finstream_pg_row_batches_total", "", {{"path", "upsert"}}).value());
    }
    std::fflush(stdout);

    // The Kafka share: the same universe through fresh topics, processors writing nowhere, until
    // they were handed as many rows as the first run stored.
    double kafka_seconds = 0;
    {
      scratch_pipeline kafka_run{s, dsn, tag + "_k", partitions};
      auto kcfg = kafka_run.config(symbols, from, to, agents, processors);
      auto handed = std::make_shared<std::atomic<std::uint64_t>>(0);
      kcfg.make_writer = [handed] { return std::make_shared<discard_writer>(handed); };
      const auto t1 = clock_type::now();
      actors::runtime rt{kcfg};
      while (handed->load() < static_cast<std::uint64_t>(bars)) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        if (since(t1) > 3600) throw std::runtime_error("Kafka-only run not done within an hour");
        if (auto f = rt.failure()) throw std::runtime_error("Kafka-only run: " + *f);
      }
      kafka_seconds = since(t1);
    }
    std::printf("kafka_only         seconds=%.3f bars_per_s=%.0f (processors writing nowhere)\n",
                kafka_seconds, static_cast<double>(bars) / kafka_seconds);
    std::printf("kafka_share=%.2f\n", kafka_seconds / seconds);
    std::fflush(stdout);

    // Baselines: the same rows, one COPY each into a table with the same primary key, in one
    // transaction: binary (the server's fastest way in), then text (like psql \copy).
    auto rows = read_rows(c);
    c.exec("CREATE TABLE plain_copy (LIKE technical_indicators INCLUDING ALL)");
    double binary_rate = 0;
    for (auto f : {pg::copy_format::binary, pg::copy_format::text}) {
      auto enc = pg::encode_rows(rows, default_indicator_columns(), f, false);
      c.exec("TRUNCATE plain_copy");
      c.exec("CHECKPOINT");
      std::string sql = "COPY plain_copy (" +
                        pg::indicator_table_columns(default_indicator_columns()) + ") FROM STDIN";
      if (f == pg::copy_format::binary) sql += " (FORMAT binary)";
      const auto t1 = clock_type::now();
      c.copy_in(sql, enc.data);
      const double copy_seconds = since(t1);
      const double copy_rate = static_cast<double>(rows.size()) / copy_seconds;
      std::printf("plain_copy_%-8s seconds=%.3f rows=%zu rows_per_s=%.0f\n", pg::to_string(f),
                  copy_seconds, rows.size(), copy_rate);
      if (f == pg::copy_format::binary)
        binary_rate = copy_rate;
      else
        std::printf("e2e_vs_plain_copy_text=%.3g\n", e2e_rate / copy_rate);
    }
    // Three significant digits: a tiny run (start-up dominated) still shows its ratio.
    std::printf("e2e_vs_binary_copy=%.3g\n", e2e_rate / binary_rate);
    std::printf("bars_per_s=%.0f\n", e2e_rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench e2e: %s\n", e.what());
    rc = exit_failure;
  }
  return rc;
}

} // namespace finstream::cli
