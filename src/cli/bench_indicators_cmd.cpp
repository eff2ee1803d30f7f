// `finstream bench indicators [--bars N] [--runs R]`: the default indicator set in streaming mode
// (one bar at a time through indicator_set::update, the processors' code path) over a deterministic
// synthetic series, then each of its indicators alone (a set of one: `indicator <spec> ns_per_bar=`
// lines, so a regression shows where). Prints the best of R runs of each; the last line is
// `bars_per_s=<number>` of the whole set.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "indicators/indicator_set.hpp"

namespace finstream::cli {

namespace {

// A geometric random walk with intraday ranges and volumes, from a fixed-seed xorshift generator
// (the same series every run and on every machine). test/golden/talib_bench.c generates the same
// series for TA-Lib's side of the comparison.
std::vector<indicators::ohlcv> synthetic_bars(std::size_t n) {
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  auto uniform = [&x] { // in [0, 1)
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
  };
  std::vector<indicators::ohlcv> bars(n);
  double close = 100.0;
  for (auto& b : bars) {
    b.open = close * (1.0 + (uniform() - 0.5) * 0.01);
    close = b.open * (1.0 + (uniform() - 0.5) * 0.04);
    b.high = std::max(b.open, close) * (1.0 + uniform() * 0.01);
    b.low = std::min(b.open, close) * (1.0 - uniform() * 0.01);
    b.close = close;
    b.volume = std::floor(1000.0 + uniform() * 1e6);
  }
  return bars;
}

} // namespace

int run_bench_indicators(int argc, char** argv) {
  CLI::App app{"Benchmark: the default indicator set, streaming, one bar at a time"};
  std::size_t n = 2'000'000;
  int runs = 3;
  app.add_option("--bars", n, "number of synthetic bars")->check(CLI::Range(1, 100'000'000));
  app.add_option("--runs", runs, "timed runs (the best is reported)")->check(CLI::Range(1, 100));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  const auto bars = synthetic_bars(n);
  const auto proto = indicators::indicator_set::default_set();
  // The whole set first, in its own loop (as the processors run it: the TA-Lib comparison in
  // test/golden/bench_talib.sh reads this figure), then each indicator alone. Best of `runs` each.
  std::vector<double> out(proto.output_count());
  double best = 1e300, checksum = 0;
  for (int r = 0; r < runs; ++r) {
    auto set = proto; // fresh state each run
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& b : bars) {
      set.update(b, out.data());
      checksum += out[1] == out[1] ? out[1] : 0.0; // keeps the work observable (NaN in warm-up)
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = std::min(best, dt.count());
  }
  // A set of one indicator: one pass of a fresh copy over the bars, in seconds.
  auto pass = [&](const indicators::indicator_set& set_proto) {
    std::vector<double> one(set_proto.output_count());
    auto set = set_proto;
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& b : bars) {
      set.update(b, one.data());
      checksum += one[0] == one[0] ? one[0] : 0.0;
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    return dt.count();
  };
  std::vector<indicators::indicator_set> alone;
  for (const auto& item : proto.items())
    alone.emplace_back(std::vector<indicators::indicator_spec>{item});
  std::vector<double> best_alone(alone.size(), 1e300);
  for (int r = 0; r < runs; ++r)
    for (std::size_t i = 0; i < alone.size(); ++i)
      best_alone[i] = std::min(best_alone[i], pass(alone[i]));
  std::printf("indicators=%s\n", proto.spec().c_str());
  double sum_alone = 0;
  for (std::size_t i = 0; i < alone.size(); ++i) {
    sum_alone += best_alone[i];
    std::printf("indicator %-18s ns_per_bar=%.2f\n", alone[i].spec().c_str(),
                best_alone[i] * 1e9 / static_cast<double>(n));
  }
  std::printf("sum_of_indicators_alone ns_per_bar=%.1f\n",
              sum_alone * 1e9 / static_cast<double>(n));
  std::printf("outputs=%zu bars=%zu runs=%d best_seconds=%.6f ns_per_bar=%.1f checksum=%.6g\n",
              proto.output_count(), n, runs, best, best * 1e9 / static_cast<double>(n), checksum);
  std::printf("bars_per_s=%.0f\n", static_cast<double>(n) / best);
  return exit_ok;
}

} // namespace finstream::cli
