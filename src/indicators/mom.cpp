// MOM: TA_MOM in streaming form.
#include "indicators/mom.hpp"

#include "indicators/rolling.hpp"

namespace finstream::indicators {

mom::mom(int period)
    : period_(period) {
  require_param("mom", "period", period, 1);
  state_ = initial_state();
}

lag_state mom::initial_state() const {
  lag_state s;
  s.ring.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void mom::update(const ohlcv& bar, double* out) {
  double lagged;
  out[0] = state_.push(bar.close, lagged) ? bar.close - lagged : no_value;
}

} // namespace finstream::indicators
