// What `finstream local` and `finstream run` share: signals, the operations endpoint, readiness
// probes, option → component settings, the universe, progress display and the final summary.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/runtime.hpp"
#include "cli/settings.hpp"
#include "engine/manager_core.hpp"
#include "http/readiness.hpp"
#include "http/server.hpp"
#include "kafka/config.hpp"
#include "sources/factory.hpp"

namespace finstream::cli {

/// SIGTERM/SIGINT set a flag instead of killing the process (a second SIGINT kills it).
void install_signal_handlers();
bool stop_requested();

/// Starts /metrics, /healthz, /readyz on metrics.address:metrics.port (-1: none). A port in use is
/// a warning, not a failure: the work matters more than its scrape endpoint.
std::unique_ptr<http::server> start_ops_server(const settings& s);

/// Probes PostgreSQL (and Kafka when given) every 2 s on its own thread and registers the
/// readiness checks "postgres" and "kafka" whose answers are the last probe's.
class readiness_probe {
public:
  /// `kafka_extra`: the librdkafka properties of the process's clients (security settings).
  readiness_probe(std::string dsn, std::optional<std::string> kafka_bootstrap,
                  kafka::properties kafka_extra = {});
  ~readiness_probe();

private:
  void loop();
  std::string dsn_;
  std::optional<std::string> kafka_;
  kafka::properties kafka_extra_;
  std::atomic<bool> pg_ok_{false};
  std::atomic<bool> kafka_ok_{false};
  std::atomic<bool> stop_{false};
  std::vector<http::check_handle> checks_;
  std::thread thread_;
};

/// The universe: --symbols, else --universe FILE (re-read when its modification time changes; a
/// broken edit keeps the previous list and logs why). Throws std::invalid_argument when neither is
/// given (unless `fallback` is non-empty) or a symbol is invalid.
engine::manager_core::universe_fn make_universe(const settings& s,
                                                const std::vector<std::string>& fallback = {});

/// Comma-separated symbols, normalised, validated and de-duplicated in order. Throws
/// std::invalid_argument("--symbols: <reason>") on an invalid one.
std::vector<std::string> split_symbols(const std::string& text);

/// Options every long-running verb (local, run) takes: universe, source, range, database, logs,
/// metrics, processor batching, manager schedule.
std::vector<std::string> pipeline_option_keys();

source_options make_source_options(const settings& s);
engine::manager_options make_manager_options(const settings& s);
actors::processor_options make_processor_options(const settings& s);
std::string resolve_dsn(const settings& s);
/// The librdkafka properties of settings' [kafka.properties] / FINSTREAM_KAFKA_PROPERTY_* (see
/// settings.hpp), in name order. A name ending in ".file" is a secret read from that file: the
/// property without ".file" gets the file's content (trailing newlines removed; it wins over the
/// same property given directly). Throws std::invalid_argument naming the file (never its
/// content) when it cannot be read.
kafka::properties kafka_properties(const settings& s);

/// One status line on a terminal, rewritten in place (nothing when stderr is not a terminal).
class progress_line {
public:
  progress_line();
  void update(const engine::manager_progress& p);
  void finish();

private:
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  double rows_at_start_;
  bool printed_ = false;
};

/// Prints what is in the database: symbols, rows, date range, a few latest RSI/MACD values.
void print_summary(const std::string& dsn, const std::vector<std::string>& universe,
                   const std::string& psql_hint);

} // namespace finstream::cli
