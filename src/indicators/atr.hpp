// ATR(period): Wilder's average true range, equal to TA_ATR (seeded with the simple mean of the
// first `period` true ranges; ATR(1) is the true range itself, from the second bar).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct atr_state {
  std::int64_t count = 0; // bars seen
  double prev_close = 0;
  double value = 0; // sum of true ranges during warm-up, then the ATR
  FINSTREAM_STATE_FIELDS(count, prev_close, value)
};

class atr final : public basic_indicator<atr, atr_state> {
public:
  explicit atr(int period = 14);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  atr_state initial_state() const { return {}; }
  void check_state(const atr_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void atr::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  out[0] = no_value;
  if (i > 0) {
    const double tr = true_range(bar.high, bar.low, s.prev_close);
    if (period_ == 1) {
      out[0] = tr;
    } else if (i > period_) {
      s.value *= period_ - 1;
      s.value += tr;
      s.value /= period_;
      out[0] = s.value;
    } else {
      s.value += tr;
      if (i == period_) {
        s.value /= period_;
        out[0] = s.value;
      }
    }
  }
  s.prev_close = bar.close;
}

} // namespace finstream::indicators
