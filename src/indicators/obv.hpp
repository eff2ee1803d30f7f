// OBV: on-balance volume, equal to TA_OBV (starts at the first bar's volume).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct obv_state {
  std::int64_t count = 0;
  double prev_close = 0;
  double value = 0;
  FINSTREAM_STATE_FIELDS(count, prev_close, value)
};

class obv final : public basic_indicator<obv, obv_state> {
public:
  obv() { state_ = initial_state(); }
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return 0; }
  void update(const ohlcv& bar, double* out) override;

  obv_state initial_state() const { return {}; }
  void check_state(const obv_state& s) const;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void obv::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  if (s.count++ == 0) {
    s.value = bar.volume;
  } else {
    // value - v == value + (-v), and value + 0.0 == value (never -0.0): TA-Lib's three cases
    // without an unpredictable branch.
    s.value +=
        bar.close > s.prev_close ? bar.volume : (bar.close < s.prev_close ? -bar.volume : 0.0);
  }
  s.prev_close = bar.close;
  out[0] = s.value;
}

} // namespace finstream::indicators
