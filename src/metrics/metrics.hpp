// Process-wide Prometheus metrics: counters, gauges, histograms and callback gauges, rendered in
// the Prometheus text exposition format 0.0.4 for GET /metrics.
//
// Hand-written: Debian 12 packages no C++ Prometheus client (prometheus-cpp is not in the
// archive), and the project may only use Debian packages. The subset needed here (three metric
// types, labels, text format) is small.
//
// Contracts:
// - Names must start with `finstream_` and match [a-zA-Z_:][a-zA-Z0-9_:]*; label names match
//   [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__" ("le" is reserved for histograms).
//   Violations throw std::invalid_argument.
// - One name = one family = one type. Asking for a name already registered with another type (or a
//   histogram with other bucket bounds) throws std::invalid_argument. The first help text wins.
// - Same name + same labels (in any order) → the same object. References stay valid for the
//   registry's lifetime (the global registry lives until process exit). Lookups take a mutex: hot
//   paths look a series up once and keep the reference.
// - Updates (inc/set/observe) are lock-free atomics, safe from any thread.
// - render() may run concurrently with updates and registrations; it calls the callback gauges
//   while holding the registry's mutex, so a callback must not call into the same registry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace finstream::metrics {

/// One label: name and value. A series' labels are a small vector of them.
using label = std::pair<std::string, std::string>;
using labels = std::vector<label>;

/// Monotonic counter (Prometheus `counter`). Names conventionally end in `_total`.
class counter {
public:
  /// Adds `v` (must be >= 0; negative or NaN values are ignored: a counter never goes down).
  void inc(double v = 1.0) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down (Prometheus `gauge`).
class gauge {
public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept;
  void dec(double v = 1.0) noexcept { inc(-v); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0.0};
};

/// Distribution over fixed buckets (Prometheus `histogram`). Bucket bounds are the finite upper
/// bounds, strictly increasing; the +Inf bucket is implicit. A value v falls in the first bucket
/// whose bound is >= v (Prometheus `le` semantics).
class histogram {
public:
  explicit histogram(std::vector<double> bounds);

  void observe(double v) noexcept;
  /// Observes a duration in seconds (the Prometheus base unit).
  void observe_duration(std::chrono::steady_clock::duration d) noexcept {
    observe(std::chrono::duration<double>(d).count());
  }

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Snapshot: per-bucket counts (NOT cumulative; size bounds()+1, last = above every bound),
  /// the sum of observed values. Not atomic as a whole under concurrent observe().
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const noexcept;

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

/// Bucket bound helpers. Prometheus' default latency buckets in seconds: 5 ms .. 10 s.
std::vector<double> default_latency_buckets();
/// start, start*factor, ... (`count` bounds). start > 0, factor > 1, count >= 1.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
/// start, start+width, ... (`count` bounds). width > 0, count >= 1.
std::vector<double> linear_buckets(double start, double width, std::size_t count);

/// One sample produced by a multi-series callback (e.g. consumer lag per partition).
struct sample {
  metrics::labels labels;
  double value = 0.0;
};

class registry;

/// Owns a callback registration; destroying it (or calling reset()) unregisters the callback.
/// After reset() returns, the callback is not running and will never be called again. Move-only.
/// Must not outlive the registry.
class callback_handle {
public:
  callback_handle() = default;
  callback_handle(callback_handle&& other) noexcept;
  callback_handle& operator=(callback_handle&& other) noexcept;
  callback_handle(const callback_handle&) = delete;
  callback_handle& operator=(const callback_handle&) = delete;
  ~callback_handle() { reset(); }

  void reset() noexcept;
  explicit operator bool() const noexcept { return owner_ != nullptr; }

private:
  friend class registry;
  callback_handle(registry* owner, std::uint64_t id)
      : owner_(owner)
      , id_(id) {}
  registry* owner_ = nullptr;
  std::uint64_t id_ = 0;
};

/// A set of metric families. Use registry::global() in the product; tests may build their own.
class registry {
public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// The process-wide registry served by GET /metrics (never destroyed).
  static registry& global();

  metrics::counter& counter(std::string_view name, std::string_view help, labels l = {});
  metrics::gauge& gauge(std::string_view name, std::string_view help, labels l = {});
  metrics::histogram& histogram(std::string_view name, std::string_view help,
                                std::vector<double> bounds, labels l = {});

  /// A gauge series whose value is `fn()` evaluated at each render (e.g. a queue length). The
  /// family `name` is a gauge family (it may also hold ordinary gauge series, not with the same
  /// labels). `fn` runs on the rendering thread under the registry's mutex: keep it short and
  /// thread-safe, and do not call into this registry from it.
  [[nodiscard]] callback_handle gauge_callback(std::string_view name, std::string_view help,
                                               labels l, std::function<double()> fn);
  /// Like gauge_callback, but `fn` yields any number of series (e.g. lag per partition, whose
  /// set changes with rebalances). Each returned sample's labels must be valid and unique.
  [[nodiscard]] callback_handle gauge_callback_family(std::string_view name, std::string_view help,
                                                      std::function<std::vector<sample>()> fn);

  /// Everything, in the Prometheus text exposition format 0.0.4: families sorted by name, HELP and
  /// TYPE once per family, series sorted by labels. A family without series is omitted.
  std::string render() const;

private:
  friend class callback_handle;
  struct family;
  family& family_for(std::string_view name, std::string_view help, int type,
                     const std::vector<double>* bounds);
  void unregister(std::uint64_t id) noexcept;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<family>, std::less<>> families_;
  std::uint64_t next_callback_id_ = 1;
};

/// Prometheus text-format helpers (exposed for tests and for the HTTP server's content type).
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";
/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);
/// Formats a sample value: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
std::string format_value(double v);

} // namespace finstream::metrics
