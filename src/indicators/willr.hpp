// WILLR(period): Williams %R, equal to TA_WILLR (0 when the window's range is 0).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct willr_state {
  std::int64_t count = 0;
  block_extreme<true> highest;
  block_extreme<false> lowest;
  FINSTREAM_STATE_FIELDS(count, highest, lowest)
};

class willr final : public basic_indicator<willr, willr_state> {
public:
  explicit willr(int period = 14);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  willr_state initial_state() const;
  void check_state(const willr_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void willr::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  const double highest = s.highest.push(bar.high);
  const double lowest = s.lowest.push(bar.low);
  if (i < period_ - 1) {
    out[0] = no_value;
    return;
  }
  const double diff = (highest - lowest) / (-100.0);
  out[0] = diff != 0.0 ? (highest - bar.close) / diff : 0.0;
}

} // namespace finstream::indicators
