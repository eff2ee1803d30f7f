// The unit of market data that flows through finstream: one daily bar, plus corporate events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/date.hpp"

namespace finstream {

/// One closed trading day of one symbol. Prices in the instrument's currency as the source reports
/// them (split-adjusted by Yahoo), `adj_close` also dividend-adjusted. Invariants after a source has
/// validated it: all prices finite and > 0, volume >= 0.
struct bar {
  day_t date = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double adj_close = 0;
  std::int64_t volume = 0;

  friend bool operator==(const bar& a, const bar& b) {
    return a.date == b.date && a.open == b.open && a.high == b.high && a.low == b.low
           && a.close == b.close && a.adj_close == b.adj_close && a.volume == b.volume;
  }
  friend bool operator!=(const bar& a, const bar& b) { return !(a == b); }
};

/// A stock split effective on `date`: `numerator` new shares for `denominator` old ones (4:1 → 4, 1).
struct split_event {
  day_t date = 0;
  double numerator = 1;
  double denominator = 1;
};

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
  std::vector<bar> bars;
  std::vector<split_event> splits;
  std::vector<dividend_event> dividends;
};

} // namespace finstream
