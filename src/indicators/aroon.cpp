// AROON: TA_AROON in streaming form with O(1)-amortized rolling extremes.
#include "indicators/aroon.hpp"

namespace finstream::indicators {

aroon::aroon(int period)
    : period_(period)
    , factor_(100.0 / static_cast<double>(period)) {
  require_param("aroon", "period", period, 2);
  state_ = initial_state();
}

aroon_state aroon::initial_state() const {
  return aroon_state{0, rolling_extreme<true>(period_ + 1), rolling_extreme<false>(period_ + 1)};
}

void aroon::check_state(const aroon_state& s) const {
  require_state(valid_count(s.count), "aroon count");
  s.highest.check(period_ + 1, s.count);
  s.lowest.check(period_ + 1, s.count);
}

void aroon::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  s.lowest.push(i, bar.low);
  s.highest.push(i, bar.high);
  if (i < period_) {
    out[0] = out[1] = no_value;
    return;
  }
  const auto since_low = static_cast<int>(i - s.lowest.extreme_index());
  const auto since_high = static_cast<int>(i - s.highest.extreme_index());
  out[0] = factor_ * (period_ - since_low);
  out[1] = factor_ * (period_ - since_high);
}

} // namespace finstream::indicators
