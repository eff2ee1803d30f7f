// SMA: a moving sum in TA-Lib's operation order (see sma_window).
#include "indicators/sma.hpp"

namespace finstream::indicators {

sma::sma(int period)
    : period_(period) {
  require_param("sma", "period", period, 2);
  state_ = initial_state();
}

sma_state sma::initial_state() const {
  return sma_state{sma_window(period_)};
}

void sma::check_state(const sma_state& s) const {
  s.window.check(period_);
}

} // namespace finstream::indicators
