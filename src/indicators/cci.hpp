// CCI(period): commodity channel index of the typical price, equal to TA_CCI (0 when the price
// equals the mean or the mean deviation is 0).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct cci_state {
  std::vector<double> ring; // typical prices; bar i at ring[i % period], as TA-Lib's buffer
  std::int32_t pos = 0;
  std::int64_t count = 0;
  FINSTREAM_STATE_FIELDS(ring, pos, count)
  /// Not saved (see rebuild_caches): prefix[j] = ((0 + ring[0]) + ring[1]) + ... + ring[j], the
  /// partial sums of TA-Lib's summation order; a new value at slot q changes only prefix[q..].
  std::vector<double> prefix;
};

class cci final : public basic_indicator<cci, cci_state> {
public:
  explicit cci(int period = 20);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  cci_state initial_state() const;
  void check_state(const cci_state& s) const;
  void rebuild_caches(cci_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void cci::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const double last = (bar.high + bar.low + bar.close) / 3;
  const double* ring = s.ring.data();
  double* prefix = s.prefix.data();
  const int n = period_;
  const int q = s.pos;
  s.ring[static_cast<std::size_t>(q)] = last;
  double sum = q > 0 ? prefix[q - 1] : 0.0;
  for (int j = q; j < n; ++j)
    prefix[j] = sum += ring[j];
  if (++s.pos == period_) s.pos = 0;
  if (++s.count < period_) {
    out[0] = no_value;
    return;
  }
  const double average = sum / n;
  double deviation = 0;
  for (int j = 0; j < n; ++j)
    deviation += std::fabs(ring[j] - average);
  const double d = last - average;
  out[0] = (d != 0.0 && deviation != 0.0) ? d / (0.015 * (deviation / n)) : 0.0;
}

} // namespace finstream::indicators
