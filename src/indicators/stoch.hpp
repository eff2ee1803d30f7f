// STOCH(fastk, slowk, slowd): slow stochastic %K and %D, equal to TA_STOCH with simple moving
// averages for both smoothings. Fast %K is 0 when the window's range is 0.
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct stoch_state {
  std::int64_t count = 0; // bars seen
  block_extreme<true> highest;
  block_extreme<false> lowest;
  sma_window slow_k;
  sma_window slow_d;
  FINSTREAM_STATE_FIELDS(count, highest, lowest, slow_k, slow_d)
};

class stoch final : public basic_indicator<stoch, stoch_state> {
public:
  stoch(int fastk = 14, int slowk = 3, int slowd = 3);
  std::size_t output_count() const override { return 2; } // stoch_k, stoch_d
  int lookback(std::size_t) const override { return fastk_ - 1 + slowk_ - 1 + slowd_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  stoch_state initial_state() const;
  void check_state(const stoch_state& s) const;

private:
  int fastk_, slowk_, slowd_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void stoch::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  const double highest = s.highest.push(bar.high);
  const double lowest = s.lowest.push(bar.low);
  out[0] = out[1] = no_value;
  if (i < fastk_ - 1) return;
  const double diff = (highest - lowest) / 100.0;
  const double fast_k = diff != 0.0 ? (bar.close - lowest) / diff : 0.0;
  double k, d;
  if (!s.slow_k.push(fast_k, k) || !s.slow_d.push(k, d)) return;
  out[0] = k;
  out[1] = d;
}

} // namespace finstream::indicators
