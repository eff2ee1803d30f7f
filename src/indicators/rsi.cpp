// RSI: TA-Lib's TA_RSI (default compatibility, no unstable period) in streaming form.
#include "indicators/rsi.hpp"

namespace finstream::indicators {

rsi::rsi(int period)
    : period_(period) {
  require_param("rsi", "period", period, 2);
  state_ = initial_state();
}

void rsi::check_state(const rsi_state& s) const {
  require_state(valid_count(s.count), "rsi count");
}

} // namespace finstream::indicators
