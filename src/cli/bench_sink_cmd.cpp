// `finstream bench sink --pg DSN --rows N`: N synthetic rows of technical_indicators' shape written
// through the real sink (pg::batcher + pg::sink, one transaction per batch; the append path, and
// once more with every batch staged), next to plain COPY of the same rows into an equivalent table
// with the same primary key, measured in the same run: libpq COPY from memory in binary format
// (the goal's baseline: `sink_vs_plain_copy_binary`, from rounds that alternate the two) and in
// text, and `psql \copy` from a file when psql is installed. Everything happens in a scratch
// schema of the given database, dropped at the end (--keep keeps it). The last line is
// `rows_per_s=<sink throughput>`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/settings.hpp"
#include "pg/batch.hpp"
#include "pg/copy_format.hpp"
#include "pg/dsn.hpp"
#include "pg/migrations.hpp"
#include "pg/sink.hpp"

extern char** environ;

namespace finstream::cli {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Rows shaped like the processors' output: `symbols` symbols of ~equal history, consecutive
// weekdays, a random-walk bar, full-precision indicator values, and the NaN warm-up at the start
// of each symbol (the first 33 bars have no MACD signal, etc.). Fixed-seed xorshift: the same rows
// every run.
std::vector<indicator_row> synthetic_rows(std::size_t n, std::size_t symbols) {
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  auto uniform = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
  };
  std::vector<indicator_row> rows(n);
  const std::size_t per_symbol = (n + symbols - 1) / symbols;
  const day_t start = *parse_date("2010-01-04");
  std::size_t i = 0;
  for (std::size_t s = 0; s < symbols && i < n; ++s) {
    const std::string sym = "BENCH" + std::to_string(s);
    double close = 20 + uniform() * 200;
    day_t d = start;
    for (std::size_t k = 0; k < per_symbol && i < n; ++k, ++i) {
      while (weekday(d) == 0 || weekday(d) == 6)
        ++d;
      auto& r = rows[i];
      r.symbol = sym;
      r.b.date = d++;
      r.b.open = close * (1 + (uniform() - 0.5) * 0.01);
      close = r.b.open * (1 + (uniform() - 0.5) * 0.04);
      r.b.high = std::max(r.b.open, close) * (1 + uniform() * 0.01);
      r.b.low = std::min(r.b.open, close) * (1 - uniform() * 0.01);
      r.b.close = close;
      r.b.adj_close = close * 0.97;
      r.b.volume = static_cast<std::int64_t>(1000 + uniform() * 5e7);
      r.values.resize(indicator_column_count);
      for (std::size_t c = 0; c < indicator_column_count; ++c)
        r.values[c] = k < 14 + c ? std::nan("") : close * (0.5 + uniform());
    }
  }
  return rows;
}

struct measurement {
  std::string name;
  double best_seconds = 0;
  std::string note;
};

// Runs `psql` with the DSN's settings passed through libpq's environment variables (PGHOST,
// PGPASSWORD, PGOPTIONS, ...), so that no secret appears on a command line.
int run_psql(const std::string& dsn, const std::string& command) {
  std::map<std::string, std::string> env_vars;
  PQconninfoOption* defaults = PQconndefaults();
  const auto given = pg::dsn_settings(dsn);
  for (auto* o = defaults; o && o->keyword; ++o)
    for (const auto& [k, v] : given)
      if (o->envvar && k == o->keyword) env_vars[o->envvar] = v;
  PQconninfoFree(defaults);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (!env_vars.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env_vars)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "psql", nullptr, nullptr, argv.data(), envp.data()) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool psql_available() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find(':', start);
    auto dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && ::access((dir + "/psql").c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

} // namespace

int run_bench_sink(int argc, char** argv) {
  CLI::App app{"Benchmark: the PostgreSQL sink vs plain COPY of the same rows, same run"};
  option_binder binder{app, {"pg.dsn", "pg.dsn_file"}};
  std::size_t n = 0;
  std::size_t batch_rows = 5000;
  std::size_t symbols = 0;
  int runs = 1;
  std::string formats = "both";
  bool keep = false;
  bool no_psql = false;
  app.add_option("--rows", n, "synthetic rows to write")
      ->required()
      ->check(CLI::Range(1, 50'000'000));
  app.add_option("--batch-rows", batch_rows, "rows per sink batch (transaction)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--symbols", symbols, "distinct symbols (default: rows / 2500, at least 1)");
  app.add_option("--runs", runs, "timed runs of each variant (the best is reported)")
      ->check(CLI::Range(1, 20));
  app.add_option("--format", formats, "sink COPY format: text, binary or both")
      ->check(CLI::IsMember({"text", "binary", "both"}));
  app.add_flag("--keep", keep, "keep the scratch schema (for inspection)");
  app.add_flag("--no-psql", no_psql, "skip the psql \\copy measurement");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  std::string dsn;
  try {
    dsn = resolve_dsn(binder.resolve());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench sink: %s\n", e.what());
    return exit_usage;
  }
  if (symbols == 0) symbols = std::max<std::size_t>(1, n / 2500);
  symbols = std::min(symbols, n);

  pg::connection admin{dsn};
  const std::string schema = "finstream_bench_" + std::to_string(::getpid());
  const std::string qschema = pg::quote_identifier(admin, schema);
  admin.exec("DROP SCHEMA IF EXISTS " + qschema + " CASCADE");
  admin.exec("CREATE SCHEMA " + qschema);
  int rc = exit_ok;
  try {
    // Every bench connection works in the scratch schema.
    std::string options;
    for (const auto& [k, v] : pg::dsn_settings(dsn))
      if (k == "options") options = v + " ";
    const std::string bench_dsn =
        pg::dsn_with(dsn, {{"options", options + "-c search_path=" + schema}});
    pg::connection c{bench_dsn};
    pg::migrate(c);
    c.exec("CREATE TABLE plain_copy (LIKE technical_indicators INCLUDING ALL)");
    const std::string columns = pg::indicator_table_columns();

    std::printf("rows=%zu symbols=%zu batch_rows=%zu columns=%zu synchronous_commit=%s "
                "server=%s\n",
                n, symbols, batch_rows, 8 + indicator_column_count,
                c.exec("SHOW synchronous_commit").str(0, 0).c_str(),
                c.exec("SHOW server_version").str(0, 0).c_str());
    const auto rows = synthetic_rows(n, symbols);
    std::vector<measurement> results;
    auto measure = [&](const std::string& name, const std::function<void()>& prepare,
                       const std::function<void()>& work) {
      double best = 1e300;
      for (int r = 0; r < runs; ++r) {
        prepare();
        const auto t0 = clock_type::now();
        work();
        best = std::min(best, seconds_since(t0));
      }
      results.push_back({name, best, {}});
      std::printf("%-18s seconds=%.3f rows_per_s=%.0f\n", name.c_str(), best,
                  static_cast<double>(n) / best);
      std::fflush(stdout);
    };
    auto truncate = [&](const char* table) {
      c.exec(std::string{"TRUNCATE "} + table);
      c.exec(std::string{"VACUUM ANALYZE "} + table);
      c.exec("CHECKPOINT"); // each run starts without the previous run's dirty pages
    };

    // Plain COPY baselines: the rows encoded beforehand (not part of the COPY's time), one COPY,
    // one transaction. The binary encoding's time is reported against the sink's (the work a
    // pipelined sink could overlap with the previous commit).
    double encode_seconds = 0;
    for (auto f : {pg::copy_format::text, pg::copy_format::binary}) {
      const auto t_enc = clock_type::now();
      auto enc = pg::encode_rows(rows, default_indicator_columns(), f, /*with_seq=*/false);
      if (f == pg::copy_format::binary) encode_seconds = seconds_since(t_enc);
      std::string sql = "COPY plain_copy (" + columns + ") FROM STDIN";
      if (f == pg::copy_format::binary) sql += " (FORMAT binary)";
      measure(
          std::string{"plain_copy_"} + pg::to_string(f), [&] { truncate("plain_copy"); },
          [&] {
            if (c.copy_in(sql, enc.data) != static_cast<std::int64_t>(n))
              throw std::runtime_error("plain COPY loaded fewer rows than sent");
          });
      if (f == pg::copy_format::text && !no_psql && psql_available()) {
        char tmpl[] = "/tmp/finstream-bench-XXXXXX";
        int fd = ::mkstemp(tmpl);
        if (fd >= 0) {
          ::close(fd);
          std::ofstream(tmpl, std::ios::binary) << enc.data;
          const std::string cmd = "\\copy plain_copy (" + columns + ") FROM '" + tmpl + "'";
          measure(
              "psql_copy", [&] { truncate("plain_copy"); },
              [&] {
                if (run_psql(bench_dsn, cmd) != 0) throw std::runtime_error("psql \\copy failed");
              });
          std::remove(tmpl);
        }
      }
    }

    // The sink: rows arrive in chunks (as processors produce them), the batcher cuts batches of
    // batch_rows, each written in one transaction.
    // Each format through the append path (every key new: what the processors' batches of new
    // days take), and the default format once more with every batch staged (the path of revision
    // and recompute batches when their keys are new), for comparison.
    struct variant {
      pg::copy_format format;
      bool append;
    };
    std::vector<variant> variants;
    if (formats != "binary") variants.push_back({pg::copy_format::text, true});
    if (formats != "text") variants.push_back({pg::copy_format::binary, true});
    const pg::copy_format default_format = pg::sink_options{}.format;
    variants.push_back({default_format, false});
    // Every row through `s` as the processors hand them over; returns the batches written.
    auto write_all = [&](pg::sink& s) {
      pg::batcher b{{batch_rows, std::chrono::milliseconds{200}}};
      constexpr std::size_t chunk = 250;
      std::size_t batches = 0;
      for (std::size_t i = 0; i < n; i += chunk) {
        pg::batch part;
        part.rows.assign(rows.begin() + static_cast<std::ptrdiff_t>(i),
                         rows.begin() + static_cast<std::ptrdiff_t>(std::min(n, i + chunk)));
        b.add(std::move(part), clock_type::now());
        if (b.due(clock_type::now())) {
          s.write(b.take());
          ++batches;
        }
      }
      if (!b.empty()) {
        s.write(b.take());
        ++batches;
      }
      return batches;
    };
    double sink_rate = 0;
    for (const auto& v : variants) {
      const auto f = v.format;
      pg::sink_options o;
      o.format = f;
      o.append_path = v.append;
      pg::sink s{bench_dsn, o};
      std::size_t batches = 0, all_batches = 0; // last run, all runs
      measure(
          std::string{"sink_"} + pg::to_string(f) + (v.append ? "" : "_staged"),
          [&] { truncate("technical_indicators"); },
          [&] {
            batches = write_all(s);
            all_batches += batches;
          });
      const auto stored = std::stoll(c.exec("SELECT count(*) FROM technical_indicators").str(0, 0));
      std::printf("%-18s batches=%zu stored_rows=%lld\n", "", batches,
                  static_cast<long long>(stored));
      if (stored != static_cast<long long>(n))
        throw std::runtime_error("the sink stored " + std::to_string(stored) + " rows, expected " +
                                 std::to_string(n));
      if (v.append && s.stats().appends != all_batches)
        throw std::runtime_error("only " + std::to_string(s.stats().appends) + " of " +
                                 std::to_string(all_batches) + " batches took the append path");
      if (v.append && (f == default_format || variants.size() == 2)) {
        sink_rate = static_cast<double>(n) / results.back().best_seconds;
        // The same keys again with changed values: every batch takes the ON CONFLICT path (what a
        // full recompute after a split costs). Informational; one run.
        auto changed = rows;
        for (auto& r : changed)
          r.b.volume += 1;
        const auto t0 = clock_type::now();
        for (std::size_t i = 0; i < n; i += batch_rows) {
          pg::batch part;
          part.rows.assign(changed.begin() + static_cast<std::ptrdiff_t>(i),
                           changed.begin() +
                               static_cast<std::ptrdiff_t>(std::min(n, i + batch_rows)));
          s.write(part);
        }
        const double dt = seconds_since(t0);
        std::printf("%-18s seconds=%.3f rows_per_s=%.0f (all keys stored: ON CONFLICT DO UPDATE)\n",
                    (std::string{"sink_"} + pg::to_string(f) + "_update").c_str(), dt,
                    static_cast<double>(n) / dt);
      }
    }

    auto rate_of = [&](const std::string& name) {
      for (const auto& m : results)
        if (m.name == name) return static_cast<double>(n) / m.best_seconds;
      return 0.0;
    };
    // The goal is against binary COPY (last ratio line); the text baselines are for reference.
    const std::string staged = std::string{"sink_"} + pg::to_string(default_format) + "_staged";
    for (const char* base : {"plain_copy_text", "psql_copy"})
      if (rate_of(base) > 0) std::printf("sink_vs_%s=%.2f\n", base, sink_rate / rate_of(base));
    std::printf("%s_vs_plain_copy_binary=%.2f\n", staged.c_str(),
                rate_of(staged) / rate_of("plain_copy_binary"));

    // The goal's ratio, from paired rounds: binary COPY and the sink (default format, append
    // path) alternate, best of each, so that a change of load on a shared machine hits both.
    {
      const int rounds = std::max(runs, 3);
      const auto enc = pg::encode_rows(rows, default_indicator_columns(), pg::copy_format::binary,
                                       /*with_seq=*/false);
      const std::string sql = "COPY plain_copy (" + columns + ") FROM STDIN (FORMAT binary)";
      pg::sink s{bench_dsn, pg::sink_options{}};
      double best_copy = 1e300, best_sink = 1e300;
      for (int r = 0; r < rounds; ++r) {
        truncate("plain_copy");
        auto t0 = clock_type::now();
        c.copy_in(sql, enc.data);
        best_copy = std::min(best_copy, seconds_since(t0));
        truncate("technical_indicators");
        t0 = clock_type::now();
        write_all(s);
        best_sink = std::min(best_sink, seconds_since(t0));
      }
      std::printf("paired_%d_rounds    plain_copy_binary rows_per_s=%.0f sink rows_per_s=%.0f\n",
                  rounds, static_cast<double>(n) / best_copy, static_cast<double>(n) / best_sink);
      std::printf("sink_vs_plain_copy_binary=%.2f\n", best_copy / best_sink);
    }
    std::printf("encode_binary      seconds=%.3f share_of_sink=%.2f\n", encode_seconds,
                encode_seconds * sink_rate / static_cast<double>(n));
    std::printf("rows_per_s=%.0f\n", sink_rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench sink: %s\n", e.what());
    rc = exit_failure;
  }
  if (!keep) {
    try {
      admin.exec("DROP SCHEMA IF EXISTS " + qschema + " CASCADE");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "finstream bench sink: cannot drop schema %s: %s\n", schema.c_str(),
                   e.what());
    }
  }
  return rc;
}

} // namespace finstream::cli
