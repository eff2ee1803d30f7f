// MACD: TA-Lib's INT_MACD in streaming form.
#include "indicators/macd.hpp"

#include <utility>

namespace finstream::indicators {

macd::macd(int fast, int slow, int signal)
    : fast_(fast)
    , slow_(slow)
    , signal_(signal) {
  require_param("macd", "fast period", fast, 2);
  require_param("macd", "slow period", slow, 2);
  // TA-Lib accepts a signal period of 1 but its EMA lookback is then -1 and TA_MACD misbehaves
  // (wrong first bar, internal error on short input): not a defined reference, so rejected.
  require_param("macd", "signal period", signal, 2);
  if (slow_ < fast_) std::swap(slow_, fast_);
  k_fast_ = per_to_k(fast_);
  k_slow_ = per_to_k(slow_);
  k_signal_ = per_to_k(signal_);
  state_ = initial_state();
}

void macd::check_state(const macd_state& s) const {
  require_state(valid_count(s.count), "macd count");
}

} // namespace finstream::indicators
