// STOCH: TA_STOCH in streaming form; the window's high/low come from van Herk / Gil-Werman
// blocks (O(1) amortized) instead of TA-Lib's rescans, which yields the same extremes.
#include "indicators/stoch.hpp"

namespace finstream::indicators {

stoch::stoch(int fastk, int slowk, int slowd)
    : fastk_(fastk)
    , slowk_(slowk)
    , slowd_(slowd) {
  require_param("stoch", "fast %K period", fastk, 1);
  require_param("stoch", "slow %K period", slowk, 1);
  require_param("stoch", "slow %D period", slowd, 1);
  state_ = initial_state();
}

stoch_state stoch::initial_state() const {
  return stoch_state{0, block_extreme<true>(fastk_), block_extreme<false>(fastk_),
                     sma_window(slowk_), sma_window(slowd_)};
}

void stoch::check_state(const stoch_state& s) const {
  require_state(valid_count(s.count), "stoch count");
  s.highest.check(fastk_);
  s.lowest.check(fastk_);
  s.slow_k.check(slowk_);
  s.slow_d.check(slowd_);
}

} // namespace finstream::indicators
