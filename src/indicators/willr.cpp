// WILLR: TA_WILLR in streaming form with O(1)-amortized rolling extremes (block_extreme).
#include "indicators/willr.hpp"

namespace finstream::indicators {

willr::willr(int period)
    : period_(period) {
  require_param("willr", "period", period, 2);
  state_ = initial_state();
}

willr_state willr::initial_state() const {
  return willr_state{0, block_extreme<true>(period_), block_extreme<false>(period_)};
}

void willr::check_state(const willr_state& s) const {
  require_state(valid_count(s.count), "willr count");
  s.highest.check(period_);
  s.lowest.check(period_);
}

} // namespace finstream::indicators
