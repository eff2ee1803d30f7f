// EMA: TA-Lib's INT_EMA in streaming form.
#include "indicators/ema.hpp"

namespace finstream::indicators {

ema::ema(int period)
    : period_(period)
    , k_(per_to_k(period)) {
  require_param("ema", "period", period, 2);
  state_ = initial_state();
}

void ema::check_state(const ema_state& s) const {
  require_state(valid_count(s.count), "ema count");
}

} // namespace finstream::indicators
