// EMA(period): exponential moving average of the close, equal to TA_EMA (seeded with the simple
// average of the first `period` closes, k = 2 / (period + 1)).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct ema_state {
  std::int64_t count = 0; // closes seen
  double value = 0;       // running sum during warm-up, then the EMA
  FINSTREAM_STATE_FIELDS(count, value)
};

class ema final : public basic_indicator<ema, ema_state> {
public:
  explicit ema(int period = 20);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  ema_state initial_state() const { return {}; }
  void check_state(const ema_state& s) const;

private:
  int period_;
  double k_;
};

/// The EMA step shared by EMA, MACD and TRIX, in TA-Lib's operation order (INT_EMA).
inline double ema_step(double prev, double x, double k) {
  return ((x - prev) * k) + prev;
}

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void ema::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  if (s.count >= period_) {
    s.value = ema_step(s.value, bar.close, k_);
    out[0] = s.value;
  } else {
    s.value += bar.close;
    if (s.count + 1 == period_) {
      s.value /= period_;
      out[0] = s.value;
    } else {
      out[0] = no_value;
    }
  }
  ++s.count;
}

} // namespace finstream::indicators
