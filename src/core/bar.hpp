// The unit of market data that flows through finstream: one daily bar, plus corporate events.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/date.hpp"

namespace finstream {

/// One closed trading day of one symbol. Prices in the instrument's currency as the source reports
/// them (split-adjusted by Yahoo), `adj_close` also dividend-adjusted. Invariants after a source
/// has validated it: open, high, low, close finite and > 0, volume >= 0; adj_close finite and > 0,
/// or NaN when the source's adjusted close is broken (stored as NULL; no indicator reads it).
struct bar {
  day_t date = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double adj_close = 0;
  std::int64_t volume = 0;

  friend bool operator==(const bar& a, const bar& b) {
    return a.date == b.date && a.open == b.open && a.high == b.high && a.low == b.low &&
           a.close == b.close && a.volume == b.volume &&
           (a.adj_close == b.adj_close || (std::isnan(a.adj_close) && std::isnan(b.adj_close)));
  }
  friend bool operator!=(const bar& a, const bar& b) { return !(a == b); }
};

/// A stock split effective on `date`: `numerator` new shares for `denominator` old ones (4:1 → 4,
/// 1).
struct split_event {
  day_t date = 0;
  double numerator = 1;
  double denominator = 1;
};

/// The split's price factor: a 4:1 split divides earlier prices by 4.
inline double split_ratio(const split_event& s) {
  return s.numerator / s.denominator;
}

/// Restates a bar from before split `s` in post-split units: prices divided by the ratio, volume
/// multiplied by it (rounded). The one definition used by every source and by the processors'
/// recompute, so that a history adjusted here is bit-identical to one a source adjusted; several
/// splits are applied one at a time in date order.
inline void apply_split(bar& b, const split_event& s) {
  const double r = split_ratio(s);
  b.open /= r;
  b.high /= r;
  b.low /= r;
  b.close /= r;
  b.adj_close /= r;
  b.volume = static_cast<std::int64_t>(static_cast<double>(b.volume) * r + 0.5);
}

/// A cash dividend per share, ex-date `date`.
struct dividend_event {
  day_t date = 0;
  double amount = 0;
};

/// Instrument metadata as reported by the source.
struct instrument_meta {
  std::string currency;
  std::string exchange;
  std::string timezone; // IANA name, e.g. America/New_York
};

/// Everything a source returns for (symbol, from, to): bars ascending by date, unique dates.
struct bar_series {
  std::string symbol;
  instrument_meta meta;
  /// The last date the source vouches for: every session up to it is closed and final. Later
  /// dates of the requested range (today's session still open, a day not generated yet) must be
  /// asked again later. 0 = the whole requested range is final.
  day_t complete_through = 0;
  std::vector<bar> bars;
  std::vector<split_event> splits;
  std::vector<dividend_event> dividends;
};

} // namespace finstream
