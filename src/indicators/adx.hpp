// ADX(period) with +DI(period) and -DI(period): Wilder's directional movement system, equal to
// TA_ADX, TA_PLUS_DI and TA_MINUS_DI. One pass computes the three (they share the smoothed
// directional movements and true range); the DIs start at bar `period`, the ADX at 2*period-1.
#pragma once

#include <cmath>
#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct adx_state {
  std::int64_t count = 0; // bars seen
  double prev_high = 0;
  double prev_low = 0;
  double prev_close = 0;
  double plus_dm = 0; // sums during warm-up, then Wilder-smoothed
  double minus_dm = 0;
  double tr = 0;
  double adx = 0; // sum of DX during its warm-up, then the ADX
  FINSTREAM_STATE_FIELDS(count, prev_high, prev_low, prev_close, plus_dm, minus_dm, tr, adx)
};

class adx final : public basic_indicator<adx, adx_state> {
public:
  explicit adx(int period = 14);
  std::size_t output_count() const override { return 3; } // adx, plus_di, minus_di
  int lookback(std::size_t output) const override {
    return output == 0 ? 2 * period_ - 1 : period_;
  }
  void update(const ohlcv& bar, double* out) override;

  adx_state initial_state() const { return {}; }
  void check_state(const adx_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void adx::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  out[0] = out[1] = out[2] = no_value;
  if (i == 0) {
    s.prev_high = bar.high;
    s.prev_low = bar.low;
    s.prev_close = bar.close;
    return;
  }
  const double diff_p = bar.high - s.prev_high;
  const double diff_m = s.prev_low - bar.low;
  s.prev_high = bar.high;
  s.prev_low = bar.low;
  const double tr = true_range(bar.high, bar.low, s.prev_close);
  s.prev_close = bar.close;
  // TA-Lib adds diff_m or diff_p (at most one condition holds); adding +0.0 instead of skipping
  // leaves the sums bit-identical (they are never -0.0) and avoids unpredictable branches.
  const double minus_move = (diff_m > 0 && diff_p < diff_m) ? diff_m : 0.0;
  const double plus_move = (diff_p > 0 && diff_p > diff_m) ? diff_p : 0.0;
  if (i < period_) {
    s.minus_dm += minus_move;
    s.plus_dm += plus_move;
    s.tr += tr;
    return;
  }
  s.minus_dm -= s.minus_dm / period_;
  s.plus_dm -= s.plus_dm / period_;
  s.minus_dm += minus_move;
  s.plus_dm += plus_move;
  s.tr = s.tr - (s.tr / period_) + tr;

  double dx = 0;
  bool have_dx = false;
  if (!ta_is_zero(s.tr)) {
    const double minus_di = 100.0 * (s.minus_dm / s.tr);
    const double plus_di = 100.0 * (s.plus_dm / s.tr);
    out[1] = plus_di;
    out[2] = minus_di;
    const double sum = minus_di + plus_di;
    if (!ta_is_zero(sum)) {
      dx = 100.0 * (std::fabs(minus_di - plus_di) / sum);
      have_dx = true;
    }
  } else {
    out[1] = out[2] = 0.0;
  }
  const std::int64_t adx_start = 2 * std::int64_t{period_} - 1;
  if (i < adx_start) {
    if (have_dx) s.adx += dx;
    return;
  }
  if (i == adx_start) {
    if (have_dx) s.adx += dx;
    s.adx = s.adx / period_;
  } else if (have_dx) {
    s.adx = ((s.adx * (period_ - 1)) + dx) / period_;
  }
  out[0] = s.adx;
}

} // namespace finstream::indicators
