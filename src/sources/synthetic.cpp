// Synthetic source: seeded geometric Brownian motion per symbol (see synthetic.hpp for the
// contracts). Hand-written random numbers (splitmix64, Box-Muller): <random>'s distributions are
// implementation-defined, and the bars must be identical on every platform and library version.
#include "sources/synthetic.hpp"

#include "core/hash.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace finstream {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  return fnv1a64(s);
}

/// A short stream of draws from one 64-bit seed.
struct draws {
  std::uint64_t state;
  std::uint64_t next() {
    state += 0x9E3779B97F4A7C15ull;
    return splitmix64(state);
  }
  /// Uniform in (0, 1), never 0 or 1.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Two independent standard normals (Box-Muller, both branches).
  void normal_pair(double& a, double& b) {
    const double r = std::sqrt(-2.0 * std::log(uniform())), t = 6.283185307179586 * uniform();
    a = r * std::cos(t);
    b = r * std::sin(t);
  }
};

double round4(double v) {
  return std::max(0.0001, std::round(v * 1e4) / 1e4);
}

day_t next_weekday(day_t d) {
  do
    ++d;
  while (weekday(d) == 0 || weekday(d) == 6);
  return d;
}

} // namespace

const bar_series& synthetic_source::raw(const std::string& symbol, day_t to) {
  if (!ready_ || cache_.symbol != symbol) {
    ready_ = true;
    cache_ = bar_series{};
    cache_.symbol = symbol;
    cache_.meta = {"USD", "SYN", "America/New_York"};
    gen_ = generator{};
    gen_.seed = fnv1a(symbol);
    draws p{gen_.seed};
    const double p0 = std::exp(std::log(5.0) + p.uniform() * (std::log(300.0) - std::log(5.0)));
    gen_.sigma = 0.01 + 0.02 * p.uniform();
    gen_.mu = (-0.02 + 0.17 * p.uniform()) / 252.0;
    gen_.volume_level = std::exp(std::log(2e5) + p.uniform() * (std::log(2e7) - std::log(2e5)));
    gen_.split_above = 100.0 + 400.0 * p.uniform();
    gen_.log_close = std::log(p0);
    gen_.prev_close = p0;
    gen_.next_day = first_day;
  }
  extend(std::min(to, static_cast<day_t>(today_() - 1)));
  return cache_;
}

void synthetic_source::extend(day_t to) {
  generator& g = gen_;
  if (to >= g.next_day)
    cache_.bars.reserve(cache_.bars.size() + static_cast<std::size_t>(to - g.next_day + 1) * 5 / 7 +
                        1);
  unsigned wd = weekday(g.next_day);
  for (; g.next_day <= to; ++g.next_day, wd = wd == 6 ? 0 : wd + 1) {
    const day_t d = g.next_day;
    if (wd == 0 || wd == 6) continue;
    if (d == g.pending_split_day) {
      const double ratio = g.pending_num / g.pending_den;
      g.prev_close /= ratio;
      g.log_close -= std::log(ratio);
      cache_.splits.push_back({d, g.pending_num, g.pending_den});
      g.pending_split_day = -1;
    }
    draws r{splitmix64(g.seed ^ splitmix64(static_cast<std::uint64_t>(d)))};
    double z1, z2, z3, z4, z5, z6;
    r.normal_pair(z1, z2);
    r.normal_pair(z3, z4);
    r.normal_pair(z5, z6); // z6: the pair's second draw, unused
    (void)z6;
    const double u_split = r.uniform(), u_ratio = r.uniform();
    const double s = g.sigma;
    const double open = g.prev_close * std::exp(0.3 * s * z2);
    g.log_close += g.mu - 0.5 * s * s + s * z1;
    const double close = std::exp(g.log_close);
    bar b;
    b.date = d;
    b.open = round4(open);
    b.close = round4(close);
    b.high = std::max(
        {round4(std::max(open, close) * std::exp(0.5 * s * std::fabs(z3))), b.open, b.close});
    b.low = std::min(
        {round4(std::min(open, close) * std::exp(-0.5 * s * std::fabs(z4))), b.open, b.close});
    b.adj_close = b.close;
    b.volume = std::max<std::int64_t>(
        1, std::llround(g.volume_level * std::exp(0.35 * z5) * (1.0 + 0.5 * std::fabs(z1))));
    cache_.bars.push_back(b);
    g.prev_close = close;

    if (g.pending_split_day < 0) {
      if (close > g.split_above && u_split < 0.015) {
        static constexpr double ratios[][2] = {{2, 1}, {2, 1}, {3, 1}, {3, 2}, {4, 1}};
        const auto& ratio = ratios[std::min<int>(4, static_cast<int>(u_ratio * 5))];
        g.pending_num = ratio[0];
        g.pending_den = ratio[1];
        g.pending_split_day = next_weekday(d);
      } else if (close < 1.0 && u_split < 0.02) {
        g.pending_num = 1;
        g.pending_den = 4;
        g.pending_split_day = next_weekday(d);
      }
    }
  }
}

fetch_result synthetic_source::fetch(const std::string& symbol, day_t from, day_t to) {
  if (from > to)
    return fetch_error{
        fetch_error_kind::bad_request,
        "range starts after it ends (" + format_date(from) + " > " + format_date(to) + ")", 0, 0};
  const bar_series& all = raw(symbol, to);
  bar_series out;
  out.symbol = symbol;
  out.meta = all.meta;
  // Today's session (UTC) is not generated yet: the range is final only through yesterday.
  out.complete_through = std::min(to, static_cast<day_t>(today_() - 1));
  auto first = std::lower_bound(all.bars.begin(), all.bars.end(), from,
                                [](const bar& b, day_t d) { return b.date < d; });
  auto last = std::upper_bound(all.bars.begin(), all.bars.end(), to,
                               [](day_t d, const bar& b) { return d < b.date; });
  out.bars.assign(first, last);
  // Splits that adjust some returned bar: later than `from`, not later than `to`.
  std::vector<split_event> later;
  for (const auto& s : all.splits) {
    if (s.date > from && s.date <= to) later.push_back(s);
    if (s.date >= from && s.date <= to) out.splits.push_back(s);
  }
  if (!later.empty())
    for (auto& b : out.bars)
      for (const auto& s : later)
        if (s.date > b.date) apply_split(b, s);
  return out;
}

std::vector<std::string> synthetic_symbols(std::size_t n) {
  int width = 5;
  for (std::size_t limit = 100000; n > limit && width < 20; limit *= 10)
    ++width;
  std::vector<std::string> out;
  out.reserve(n);
  char buf[32];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "S%0*zu", width, i);
    out.emplace_back(buf);
  }
  return out;
}

} // namespace finstream
