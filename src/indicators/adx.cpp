// ADX / +DI / -DI: TA_ADX, TA_PLUS_DI and TA_MINUS_DI (period >= 2) fused into one streaming pass.
#include "indicators/adx.hpp"

namespace finstream::indicators {

adx::adx(int period)
    : period_(period) {
  // TA_ADX needs period >= 2 (TA_PLUS_DI(1) is a different, unsmoothed formula).
  require_param("adx", "period", period, 2);
  state_ = initial_state();
}

void adx::check_state(const adx_state& s) const {
  require_state(valid_count(s.count), "adx count");
}

} // namespace finstream::indicators
