// ROC: TA_ROC in streaming form.
#include "indicators/roc.hpp"

#include "indicators/rolling.hpp"

namespace finstream::indicators {

roc::roc(int period)
    : period_(period) {
  require_param("roc", "period", period, 1);
  state_ = initial_state();
}

lag_state roc::initial_state() const {
  lag_state s;
  s.ring.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void roc::update(const ohlcv& bar, double* out) {
  double lagged;
  if (!state_.push(bar.close, lagged))
    out[0] = no_value;
  else
    out[0] = lagged != 0.0 ? ((bar.close / lagged) - 1.0) * 100.0 : 0.0;
}

} // namespace finstream::indicators
