// Synthetic market data: a deterministic, I/O-free universe of daily bars at any scale, for demos,
// tests and benchmarks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/bar.hpp"
#include "core/date.hpp"
#include "sources/source.hpp"

namespace finstream {

/// Deterministic generator. Contracts:
///  - Same symbol and range give the same bars in any process, on any run (no global state; the
///    seed is a stable 64-bit FNV-1a hash of the symbol; every day's random draws come from
///    splitmix64(hash(symbol), date), so they do not depend on the range asked).
///  - The raw (as-traded) price path starts at `first_day` (1980-01-01) for every symbol and is a
///    geometric Brownian motion with per-symbol drift and daily volatility in [1%, 3%]; open gaps,
///    intraday ranges and volume (log-normal around a per-symbol level, higher on big moves) are
///    drawn per day. OHLC are consistent (high >= max(open, close), low <= min(open, close), all >=
///    0.0001, rounded to 4 decimals) and volume > 0. Weekdays only (no holidays). Days from today
///    (UTC) on are not generated: only closed sessions.
///  - Occasional splits: when the raw price is high, forward splits 2:1, 3:1, 3:2 or 4:1; when it
///  is
///    below 1, a 1:4 reverse split. A split is effective on a weekday (its first post-split bar).
///  - fetch(symbol, from, to) returns, like Yahoo, prices ADJUSTED for every split with date <= to
///    that is later than the bar's date: for each such split in date order, apply_split() (prices
///    /= ratio, volume *= ratio rounded); the split events with from <= date <= to; adj_close =
///    close (no dividends). So adjusting stored history with core's apply_split() for the splits a
///    later fetch reports gives bit-identical bars to fetching the whole range at once.
///  - Every valid symbol exists. meta = {USD, "SYN", America/New_York}.
/// Cost: generating is linear in days since 1980; the instance caches the last symbol's raw path,
/// so day-by-day fetches of one symbol are cheap. Not thread-safe (one instance per thread).
class synthetic_source : public source {
public:
  static constexpr day_t first_day = 3652; // 1980-01-01

  /// `today`: the current UTC date (sessions from it on are not generated); a simulated calendar
  /// (core/sim_clock.hpp) makes days pass in seconds.
  explicit synthetic_source(std::function<day_t()> today = today_utc)
      : today_(std::move(today)) {}

  fetch_result fetch(const std::string& symbol, day_t from, day_t to) override;
  const char* kind() const override { return "synthetic"; }

  /// The unadjusted path of `symbol` from first_day through min(to, yesterday), and its splits.
  /// Exposed for tests (split semantics) and benchmarks.
  const bar_series& raw(const std::string& symbol, day_t to);

private:
  struct generator {
    std::uint64_t seed = 0;
    double mu = 0, sigma = 0, volume_level = 0, split_above = 0;
    double log_close = 0, prev_close = 0;
    day_t next_day = first_day;
    day_t pending_split_day = -1;
    double pending_num = 1, pending_den = 1;
  };
  void extend(day_t to);

  std::function<day_t()> today_;
  bool ready_ = false;
  bar_series cache_;
  generator gen_;
};

/// `n` distinct valid symbols for synthetic universes: "S00000", "S00001", ... (width grows with n,
/// at least 5 digits). Deterministic.
std::vector<std::string> synthetic_symbols(std::size_t n);

} // namespace finstream
