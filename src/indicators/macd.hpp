// MACD(fast, slow, signal): line, signal and histogram, equal to TA_MACD. As in TA-Lib both EMAs
// start at the slow EMA's first bar (the fast one seeded with the mean of the `fast` closes up to
// there), the signal EMA is seeded with the mean of the first `signal` MACD values, and a fast
// period above the slow one is swapped.
#pragma once

#include <cstdint>

#include "indicators/ema.hpp"
#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct macd_state {
  std::int64_t count = 0; // bars seen
  double slow = 0;        // sums during warm-up, then the EMAs
  double fast = 0;
  double signal = 0;
  FINSTREAM_STATE_FIELDS(count, slow, fast, signal)
};

class macd final : public basic_indicator<macd, macd_state> {
public:
  macd(int fast = 12, int slow = 26, int signal = 9);
  std::size_t output_count() const override { return 3; } // macd, macd_signal, macd_hist
  int lookback(std::size_t) const override { return slow_ - 1 + signal_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  macd_state initial_state() const { return {}; }
  void check_state(const macd_state& s) const;

private:
  int fast_, slow_, signal_;
  double k_fast_, k_slow_, k_signal_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void macd::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const double c = bar.close;
  const std::int64_t i = s.count++;
  out[0] = out[1] = out[2] = no_value;
  if (i >= slow_) {
    s.slow = ema_step(s.slow, c, k_slow_);
    s.fast = ema_step(s.fast, c, k_fast_);
  } else {
    s.slow += c;
    if (i >= slow_ - fast_) s.fast += c;
    if (i < slow_ - 1) return;
    s.slow /= slow_;
    s.fast /= fast_;
  }
  const double line = s.fast - s.slow;
  const std::int64_t j = i - (slow_ - 1); // index of this MACD value
  if (j >= signal_) {
    s.signal = ema_step(s.signal, line, k_signal_);
  } else {
    s.signal += line;
    if (j < signal_ - 1) return;
    s.signal /= signal_;
  }
  out[0] = line;
  out[1] = s.signal;
  out[2] = line - s.signal;
}

} // namespace finstream::indicators
