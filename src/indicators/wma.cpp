// WMA: TA_WMA's running weighted sum in streaming form.
#include "indicators/wma.hpp"

#include "indicators/rolling.hpp"

namespace finstream::indicators {

wma::wma(int period)
    : period_(period)
    , divider_((period * (period + 1)) >> 1) {
  require_param("wma", "period", period, 2);
  state_ = initial_state();
}

wma_state wma::initial_state() const {
  wma_state s;
  s.ring.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void wma::check_state(const wma_state& s) const {
  require_state(s.ring.size() == static_cast<std::size_t>(period_), "wma window size");
  require_state(s.pos >= 0 && s.pos < period_ && valid_count(s.count), "wma window position");
}

void wma::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const double x = bar.close;
  s.ring[static_cast<std::size_t>(s.pos)] = x;
  if (++s.pos == period_) s.pos = 0;
  const std::int64_t i = s.count++;
  s.sub += x;
  if (i < period_ - 1) {
    s.sum += x * static_cast<double>(i + 1);
    out[0] = no_value;
    return;
  }
  s.sub -= s.trailing;
  s.sum += x * period_;
  s.trailing = s.ring[static_cast<std::size_t>(s.pos)];
  out[0] = s.sum / divider_;
  s.sum -= s.sub;
}

} // namespace finstream::indicators
