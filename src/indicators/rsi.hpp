// RSI(period): Wilder's relative strength index of the close, equal to TA_RSI (averages seeded
// with the simple mean of the first `period` changes; 0 when there was no change at all).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct rsi_state {
  std::int64_t count = 0; // bars seen
  double prev_close = 0;
  double gain = 0; // sum of gains during warm-up, then the smoothed average gain
  double loss = 0;
  FINSTREAM_STATE_FIELDS(count, prev_close, gain, loss)
};

class rsi final : public basic_indicator<rsi, rsi_state> {
public:
  explicit rsi(int period = 14);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  rsi_state initial_state() const { return {}; }
  void check_state(const rsi_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void rsi::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const double c = bar.close;
  out[0] = no_value;
  if (s.count == 0) {
    s.prev_close = c;
    s.count = 1;
    return;
  }
  const double diff = c - s.prev_close;
  s.prev_close = c;
  // TA-Lib: if (diff < 0) loss -= diff; else gain += diff. Adding or subtracting +0.0 to the
  // other one leaves it bit-identical (it is never -0.0), and avoids an unpredictable branch.
  const double down = diff < 0 ? diff : 0.0;
  const double up = diff < 0 ? 0.0 : diff;
  if (s.count > period_) {
    s.loss *= (period_ - 1);
    s.gain *= (period_ - 1);
    s.loss -= down;
    s.gain += up;
    s.loss /= period_;
    s.gain /= period_;
  } else {
    s.loss -= down;
    s.gain += up;
    if (s.count == period_) {
      s.loss /= period_;
      s.gain /= period_;
    }
  }
  if (s.count >= period_) {
    const double sum = s.gain + s.loss;
    out[0] = !ta_is_zero(sum) ? 100.0 * (s.gain / sum) : 0.0;
  }
  ++s.count;
}

} // namespace finstream::indicators
