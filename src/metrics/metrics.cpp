// Prometheus registry and text exposition (see metrics.hpp for the contracts).
#include "metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace finstream::metrics {

namespace {

enum family_type { type_counter = 0, type_gauge = 1, type_histogram = 2 };

const char* type_name(int t) {
  switch (t) {
  case type_counter:
    return "counter";
  case type_gauge:
    return "gauge";
  default:
    return "histogram";
  }
}

void atomic_add(std::atomic<double>& a, double v) noexcept {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed,
                                  std::memory_order_relaxed)) {
  }
}

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void check_name(std::string_view name) {
  if (name.substr(0, 10) != "finstream_" || !valid_metric_name(name))
    throw std::invalid_argument("metrics: invalid metric name '" + std::string{name} +
                                "' (must start with finstream_ and match "
                                "[a-zA-Z_:][a-zA-Z0-9_:]*)");
}

// Sorts by label name (so that order does not matter) and validates; throws on bad or duplicate
// names. `reserve_le`: histograms own the `le` label.
labels normalize(labels l, bool reserve_le) {
  std::sort(l.begin(), l.end(), [](const label& a, const label& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (!valid_label_name(l[i].first))
      throw std::invalid_argument("metrics: invalid label name '" + l[i].first + "'");
    if (reserve_le && l[i].first == "le")
      throw std::invalid_argument("metrics: label 'le' is reserved for histogram buckets");
    if (i > 0 && l[i].first == l[i - 1].first)
      throw std::invalid_argument("metrics: duplicate label name '" + l[i].first + "'");
  }
  return l;
}

bool try_normalize(labels& l) {
  try {
    l = normalize(std::move(l), false);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

std::vector<double> check_bounds(std::vector<double> b) {
  if (!b.empty() && std::isinf(b.back()) && b.back() > 0) b.pop_back(); // +Inf is implicit
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]))
      throw std::invalid_argument("metrics: histogram bounds must be finite");
    if (i > 0 && !(b[i] > b[i - 1]))
      throw std::invalid_argument("metrics: histogram bounds must be strictly increasing");
  }
  return b;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// `{a="x",b="y"}` (with an optional trailing `le`), or nothing when there are no labels.
void append_labels(std::string& out, const labels& l, const std::string* le = nullptr) {
  if (l.empty() && !le) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : l) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  }
  if (le) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, const labels& l, double v,
                   const std::string* le = nullptr) {
  out += name;
  append_labels(out, l, le);
  out += ' ';
  out += format_value(v);
  out += '\n';
}

} // namespace

// -- series ---------------------------------------------------------------------------------------

void counter::inc(double v) noexcept {
  if (!(v >= 0.0)) // also rejects NaN
    return;
  atomic_add(value_, v);
}

void gauge::inc(double v) noexcept {
  atomic_add(value_, v);
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(check_bounds(std::move(bounds)))
    , buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  // First bound >= v; NaN lands in +Inf (it compares false with everything).
  std::size_t i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                           bounds_.begin());
  if (std::isnan(v)) i = bounds_.size();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<std::uint64_t> histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::uint64_t histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    n += buckets_[i].load(std::memory_order_relaxed);
  return n;
}

std::vector<double> default_latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (!(start > 0) || !(factor > 1) || count == 0)
    throw std::invalid_argument("metrics: exponential_buckets needs start > 0, factor > 1, "
                                "count >= 1");
  std::vector<double> out;
  double b = start;
  for (std::size_t i = 0; i < count; ++i, b *= factor)
    out.push_back(b);
  return out;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  if (!(width > 0) || count == 0)
    throw std::invalid_argument("metrics: linear_buckets needs width > 0, count >= 1");
  std::vector<double> out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(start + width * static_cast<double>(i));
  return out;
}

// -- callback handle ------------------------------------------------------------------------------

callback_handle::callback_handle(callback_handle&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr))
    , id_(other.id_) {}

callback_handle& callback_handle::operator=(callback_handle&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void callback_handle::reset() noexcept {
  if (owner_) std::exchange(owner_, nullptr)->unregister(id_);
}

// -- registry -------------------------------------------------------------------------------------

struct registry::family {
  std::string name;
  std::string help;
  int type = type_counter;
  std::vector<double> bounds; // histograms only
  std::map<labels, std::unique_ptr<metrics::counter>> counters;
  std::map<labels, std::unique_ptr<metrics::gauge>> gauges;
  std::map<labels, std::unique_ptr<metrics::histogram>> histograms;
  struct callback {
    labels l;                                  // single-series callbacks
    std::function<double()> one;               // either this ...
    std::function<std::vector<sample>()> many; // ... or this
  };
  std::map<std::uint64_t, callback> callbacks;
};

registry::registry() = default;
registry::~registry() = default;

registry& registry::global() {
  static registry* instance = new registry; // never destroyed: usable from static destructors
  return *instance;
}

registry::family& registry::family_for(std::string_view name, std::string_view help, int type,
                                       const std::vector<double>* bounds) {
  check_name(name);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<family>();
    f->name = std::string{name};
    f->help = std::string{help};
    f->type = type;
    if (bounds) f->bounds = *bounds;
    it = families_.emplace(f->name, std::move(f)).first;
    return *it->second;
  }
  family& f = *it->second;
  if (f.type != type)
    throw std::invalid_argument("metrics: '" + f.name + "' is already registered as a " +
                                type_name(f.type) + ", not a " + type_name(type));
  if (bounds && f.bounds != *bounds)
    throw std::invalid_argument("metrics: histogram '" + f.name +
                                "' is already registered with other bucket bounds");
  return f;
}

metrics::counter& registry::counter(std::string_view name, std::string_view help, labels l) {
  l = normalize(std::move(l), false);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& f = family_for(name, help, type_counter, nullptr);
  auto& slot = f.counters[std::move(l)];
  if (!slot) slot = std::make_unique<metrics::counter>();
  return *slot;
}

metrics::gauge& registry::gauge(std::string_view name, std::string_view help, labels l) {
  l = normalize(std::move(l), false);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& f = family_for(name, help, type_gauge, nullptr);
  for (const auto& [id, cb] : f.callbacks)
    if (cb.one && cb.l == l)
      throw std::invalid_argument("metrics: '" + f.name +
                                  "' already has a callback series with these labels");
  auto& slot = f.gauges[std::move(l)];
  if (!slot) slot = std::make_unique<metrics::gauge>();
  return *slot;
}

metrics::histogram& registry::histogram(std::string_view name, std::string_view help,
                                        std::vector<double> bounds, labels l) {
  l = normalize(std::move(l), true);
  bounds = check_bounds(std::move(bounds));
  std::lock_guard<std::mutex> lock{mutex_};
  auto& f = family_for(name, help, type_histogram, &bounds);
  auto& slot = f.histograms[std::move(l)];
  if (!slot) slot = std::make_unique<metrics::histogram>(std::move(bounds));
  return *slot;
}

callback_handle registry::gauge_callback(std::string_view name, std::string_view help, labels l,
                                         std::function<double()> fn) {
  if (!fn) throw std::invalid_argument("metrics: empty callback");
  l = normalize(std::move(l), false);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& f = family_for(name, help, type_gauge, nullptr);
  if (f.gauges.count(l))
    throw std::invalid_argument("metrics: '" + f.name + "' already has a series with these labels");
  for (const auto& [id, cb] : f.callbacks)
    if (cb.one && cb.l == l)
      throw std::invalid_argument("metrics: '" + f.name +
                                  "' already has a callback series with these labels");
  std::uint64_t id = next_callback_id_++;
  f.callbacks.emplace(id, family::callback{std::move(l), std::move(fn), {}});
  return callback_handle{this, id};
}

callback_handle registry::gauge_callback_family(std::string_view name, std::string_view help,
                                                std::function<std::vector<sample>()> fn) {
  if (!fn) throw std::invalid_argument("metrics: empty callback");
  std::lock_guard<std::mutex> lock{mutex_};
  auto& f = family_for(name, help, type_gauge, nullptr);
  std::uint64_t id = next_callback_id_++;
  f.callbacks.emplace(id, family::callback{{}, {}, std::move(fn)});
  return callback_handle{this, id};
}

void registry::unregister(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock{mutex_};
  for (auto& [name, f] : families_)
    if (f->callbacks.erase(id)) return;
}

std::string registry::render() const {
  std::string out;
  std::lock_guard<std::mutex> lock{mutex_};
  for (const auto& [name, fp] : families_) {
    const family& f = *fp;
    std::string body;
    switch (f.type) {
    case type_counter:
      for (const auto& [l, c] : f.counters)
        append_sample(body, f.name, l, c->value());
      break;
    case type_gauge: {
      // Ordinary and callback series, merged and sorted by labels; a callback sample that
      // repeats labels already present (or carries invalid ones) is dropped, never rendered twice.
      std::map<labels, double> series;
      for (const auto& [l, g] : f.gauges)
        series.emplace(l, g->value());
      for (const auto& [id, cb] : f.callbacks) {
        if (cb.one) {
          double v = std::numeric_limits<double>::quiet_NaN();
          try {
            v = cb.one();
          } catch (...) {
            continue; // a failing callback omits its series; render never throws for it
          }
          series.emplace(cb.l, v);
        } else {
          std::vector<sample> samples;
          try {
            samples = cb.many();
          } catch (...) {
            continue;
          }
          for (auto& s : samples)
            if (try_normalize(s.labels)) series.emplace(std::move(s.labels), s.value);
        }
      }
      for (const auto& [l, v] : series)
        append_sample(body, f.name, l, v);
      break;
    }
    default: {
      const std::string bucket = f.name + "_bucket";
      const std::string sum = f.name + "_sum";
      const std::string count = f.name + "_count";
      std::vector<std::string> les;
      for (double b : f.bounds)
        les.push_back(format_value(b));
      les.push_back("+Inf");
      for (const auto& [l, h] : f.histograms) {
        // _count is the +Inf bucket of the same snapshot, so the sample stays self-consistent.
        auto counts = h->bucket_counts();
        double sum_v = h->sum();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          append_sample(body, bucket, l, static_cast<double>(cumulative), &les[i]);
        }
        append_sample(body, sum, l, sum_v);
        append_sample(body, count, l, static_cast<double>(cumulative));
      }
      break;
    }
    }
    if (body.empty()) continue;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += escape_help(f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    out += body;
  }
  return out;
}

// -- format helpers -------------------------------------------------------------------------------

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v); // shortest round-trip representation
  return std::string(buf, res.ptr);
}

} // namespace finstream::metrics
