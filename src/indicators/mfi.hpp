// MFI(period): money flow index, equal to TA_MFI (0 when the window's total money flow is below
// 1.0, e.g. with zero volume).
#pragma once

#include <cstdint>
#include <vector>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct mfi_state {
  std::int64_t count = 0; // bars seen
  double prev_typical = 0;
  std::vector<double> positive; // the window's money flows; bar i at index (i - 1) % period
  std::vector<double> negative;
  std::int32_t pos = 0;
  double positive_sum = 0;
  double negative_sum = 0;
  FINSTREAM_STATE_FIELDS(count, prev_typical, positive, negative, pos, positive_sum, negative_sum)
};

class mfi final : public basic_indicator<mfi, mfi_state> {
public:
  explicit mfi(int period = 14);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  mfi_state initial_state() const;
  void check_state(const mfi_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void mfi::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  out[0] = no_value;
  const double typical = (bar.high + bar.low + bar.close) / 3.0;
  if (i == 0) {
    s.prev_typical = typical;
    return;
  }
  const auto k = static_cast<std::size_t>(s.pos);
  if (i > period_) {
    s.positive_sum -= s.positive[k];
    s.negative_sum -= s.negative[k];
  }
  const double diff = typical - s.prev_typical;
  s.prev_typical = typical;
  const double flow = typical * bar.volume;
  // TA-Lib adds the flow to one side and stores 0.0 for the other; adding +0.0 to a sum leaves it
  // bit-identical (sums never become -0.0), so both sides are updated without branching.
  const double negative = diff < 0 ? flow : 0.0;
  const double positive = diff > 0 ? flow : 0.0;
  s.negative[k] = negative;
  s.negative_sum += negative;
  s.positive[k] = positive;
  s.positive_sum += positive;
  if (++s.pos == period_) s.pos = 0;
  if (i >= period_) {
    const double total = s.positive_sum + s.negative_sum;
    out[0] = total < 1.0 ? 0.0 : 100.0 * (s.positive_sum / total);
  }
}

} // namespace finstream::indicators
