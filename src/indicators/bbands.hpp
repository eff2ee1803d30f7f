// BBANDS(period, deviations): Bollinger Bands upper/middle/lower of the close, equal to TA_BBANDS
// with a simple moving average and equal up/down deviations (population standard deviation from
// the running sums of values and squares, 0 when the variance is below 1e-14).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct bbands_state {
  std::vector<double> ring; // last `period` closes; ring[pos] is the oldest once full
  std::int32_t pos = 0;
  std::int64_t count = 0;
  double sum = 0;
  double sum_sq = 0;
  FINSTREAM_STATE_FIELDS(ring, pos, count, sum, sum_sq)
};

class bbands final : public basic_indicator<bbands, bbands_state> {
public:
  explicit bbands(int period = 20, double deviations = 2.0);
  std::size_t output_count() const override { return 3; } // bb_upper, bb_middle, bb_lower
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  bbands_state initial_state() const;
  void check_state(const bbands_state& s) const;

private:
  int period_;
  double deviations_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void bbands::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const double x = bar.close;
  s.sum += x;
  s.sum_sq += x * x;
  s.ring[static_cast<std::size_t>(s.pos)] = x;
  if (++s.pos == period_) s.pos = 0;
  if (++s.count < period_) {
    out[0] = out[1] = out[2] = no_value;
    return;
  }
  const double oldest = s.ring[static_cast<std::size_t>(s.pos)];
  const double middle = s.sum / period_;
  s.sum -= oldest;
  double variance = s.sum_sq / period_;
  s.sum_sq -= oldest * oldest;
  variance -= middle * middle;
  const double sd = variance < 1e-14 ? 0.0 : std::sqrt(variance);
  // TA-Lib skips the multiplication when deviations == 1.0; x * 1.0 == x, so one formula.
  const double band = sd * deviations_;
  out[0] = middle + band;
  out[1] = middle;
  out[2] = middle - band;
}

} // namespace finstream::indicators
