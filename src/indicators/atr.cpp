// ATR: TA_ATR (TA_TRANGE, INT_SMA seed, Wilder smoothing) in streaming form.
#include "indicators/atr.hpp"

namespace finstream::indicators {

atr::atr(int period)
    : period_(period) {
  require_param("atr", "period", period, 1);
  state_ = initial_state();
}

void atr::check_state(const atr_state& s) const {
  require_state(valid_count(s.count), "atr count");
}

} // namespace finstream::indicators
