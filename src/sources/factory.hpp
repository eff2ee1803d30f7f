// Creating sources from a spec string (`synthetic`, `csv:DIR`, `yahoo`) with their options; one
// factory per process so that every agent's source shares the per-host limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sources/limits.hpp"
#include "sources/source.hpp"

namespace finstream {

namespace metrics {
class registry;
}

/// Settings of the Yahoo chart API client. Defaults are what production uses.
struct yahoo_options {
  /// scheme://host[:port][/prefix]; http and https are accepted (tests and air-gapped mirrors).
  std::string base_url = "https://query2.finance.yahoo.com";
  /// PEM file of trusted CA certificates; empty = the system's default store. Verification is
  /// always on.
  std::string ca_file;
  /// Yahoo answers 429 to old or missing User-Agents: keep this a current browser's.
  std::string user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                           "like Gecko) Chrome/131.0.0.0 Safari/537.36";
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)}; // resolve+connect+TLS
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};    // write request + read reply
  /// Requests per fetch, retries included (>= 1). Only transient failures are retried.
  int max_attempts = 4;
  /// Backoff before retry k (1-based): uniform in [b/2, b] with b = min(backoff_max,
  /// backoff_base * 2^(k-1)) ("equal jitter"); a Retry-After header raises it to at least its
  /// value.
  std::chrono::milliseconds backoff_base{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
  /// A Retry-After longer than this ends the fetch at once (throttled) instead of sleeping.
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(120)};
  /// Per-host token bucket shared by every instance of the factory.
  double rate_per_second = 1.0;
  double burst = 1.0;
  /// Deployment-wide rate limit (e.g. a token bucket in PostgreSQL), one per source instance;
  /// empty = only the per-process bucket above. When set, every request takes its token there
  /// (at rate_per_second for the whole deployment); when it fails, from the per-process bucket.
  std::function<std::unique_ptr<shared_rate>()> make_shared_rate;
  /// Per-host circuit breaker over 429 answers (see limits.hpp).
  circuit_breaker::settings breaker{};
  /// Largest accepted body (a 60-year daily history is ~4 MB).
  std::size_t max_body_bytes = 64u << 20;
  /// Wall clock in epoch seconds, to tell whether meta.currentTradingPeriod's session has closed.
  /// Empty = system clock. Tests may pin it.
  std::function<std::int64_t()> now_epoch;
};

/// Everything a factory needs. `spec`: "synthetic", "csv:DIR" or "yahoo".
struct source_options {
  std::string spec = "yahoo";
  yahoo_options yahoo;
  /// Registry for request/latency metrics; nullptr = metrics::registry::global().
  metrics::registry* metrics = nullptr;
  /// The current UTC date for the synthetic source; empty = the real one (today_utc).
  std::function<day_t()> today;
};

/// Makes sources that share process-wide state: for Yahoo, the per-host token bucket, circuit
/// breaker and TLS context. Thread-safe: make() may be called from any thread; each returned source
/// is used by one thread at a time. The factory may be destroyed before its sources (they keep the
/// shared state alive).
class source_factory {
public:
  /// Throws std::invalid_argument on a bad spec or options (unknown kind, bad URL, unreadable CA
  /// file, missing CSV directory), with a one-line reason.
  explicit source_factory(source_options options);
  ~source_factory();
  source_factory(const source_factory&) = delete;
  source_factory& operator=(const source_factory&) = delete;

  std::unique_ptr<source> make() const;

  /// "yahoo", "csv" or "synthetic".
  const char* kind() const;

  /// The limits of the Yahoo host (nullptr for other kinds): for tests and metrics.
  std::shared_ptr<host_limits> yahoo_limits() const;

  struct state;

private:
  std::shared_ptr<state> state_;
};

/// One-off convenience: a fresh factory's make() (its limits are not shared with anyone else).
std::unique_ptr<source> make_source(const source_options& options);

} // namespace finstream
