// Per-host request limits shared by every source instance of one factory: a token bucket (rate)
// and a circuit breaker (stop asking a host that keeps throttling us).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace finstream {

using steady_clock = std::chrono::steady_clock;

/// Token bucket: `rate` tokens per second, at most `burst` stored. Thread-safe. Callers reserve a
/// token and learn how long to wait before using it; reservations are served in call order (a
/// reservation may push the bucket negative, so later callers wait behind earlier ones), which
/// keeps the long-run rate at `rate` however many threads ask.
class token_bucket {
public:
  /// rate > 0 (tokens/s), burst >= 1. The bucket starts full.
  token_bucket(double rate, double burst);

  /// Takes one token at `now`; returns the wait before the caller may send (zero when a token was
  /// available).
  steady_clock::duration reserve(steady_clock::time_point now);

  /// reserve(now()) then sleeps for the returned wait. Blocks the calling thread.
  void acquire();

  double rate() const { return rate_; }

private:
  std::mutex mutex_;
  double rate_;
  double burst_;
  double tokens_;
  steady_clock::time_point last_;
};

/// A rate limit shared beyond this process (every agent of a deployment). One instance per
/// source (used by one thread at a time). reserve() takes one token and returns the wait before
/// the caller may send; it throws when the shared state is unreachable (the caller then falls
/// back to its process's token bucket).
class shared_rate {
public:
  virtual ~shared_rate() = default;
  virtual steady_clock::duration reserve() = 0;
};

/// Circuit breaker over "the host throttles us" signals (HTTP 429). Thread-safe.
///  - closed: requests flow; `threshold` consecutive throttles (any thread) open it;
///  - open: no request for `open_for`; callers fail fast with the remaining time;
///  - half-open (after open_for): exactly one probe request is let through; success closes the
///    breaker, a throttle re-opens it for twice the previous duration (capped at `max_open`), any
///    other outcome releases the probe slot for the next caller.
class circuit_breaker {
public:
  struct settings {
    int threshold = 3;
    std::chrono::milliseconds open_for{std::chrono::minutes(5)};
    std::chrono::milliseconds max_open{std::chrono::minutes(30)};
  };
  enum class state { closed, open, half_open };

  explicit circuit_breaker(settings s);

  /// May a request go at `now`? When not, `retry_in` is set to the time until the next probe.
  /// When it returns true in half-open state, the caller holds the probe slot and must report
  /// the outcome with one of the on_* calls.
  bool allow(steady_clock::time_point now, steady_clock::duration& retry_in);

  void on_throttled(steady_clock::time_point now);
  void on_success();
  /// Outcomes that say nothing about throttling (timeouts, 5xx, network): releases the probe slot.
  void on_neutral();

  state current(steady_clock::time_point now);
  /// Times the breaker opened since construction (for tests and metrics).
  int times_opened() const;

private:
  mutable std::mutex mutex_;
  settings settings_;
  state state_ = state::closed;
  int consecutive_ = 0;
  bool probe_in_flight_ = false;
  steady_clock::time_point open_until_{};
  std::chrono::milliseconds current_open_;
  int opened_ = 0;
};

/// The limits of one host.
struct host_limits {
  host_limits(double rate, double burst, circuit_breaker::settings s)
      : bucket(rate, burst)
      , breaker(s) {}
  token_bucket bucket;
  circuit_breaker breaker;
};

/// host → limits, created on first use with the given settings. Thread-safe; the returned
/// pointers stay valid as long as the registry or a copy of the pointer lives.
class host_limits_registry {
public:
  host_limits_registry(double rate, double burst, circuit_breaker::settings s)
      : rate_(rate)
      , burst_(burst)
      , settings_(s) {}
  std::shared_ptr<host_limits> for_host(const std::string& host);

private:
  std::mutex mutex_;
  double rate_;
  double burst_;
  circuit_breaker::settings settings_;
  std::map<std::string, std::shared_ptr<host_limits>> hosts_;
};

} // namespace finstream
