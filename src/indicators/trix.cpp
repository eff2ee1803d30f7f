// TRIX: TA_TRIX (three INT_EMA passes, then TA_ROC(1)) in streaming form.
#include "indicators/trix.hpp"

#include "indicators/rolling.hpp"

namespace finstream::indicators {

trix::trix(int period)
    : period_(period)
    , k_(per_to_k(period)) {
  // TA-Lib accepts 1, but its EMA lookback is then -1 and the result is not a defined reference.
  require_param("trix", "period", period, 2);
  state_ = initial_state();
}

void trix::check_state(const trix_state& s) const {
  require_state(valid_count(s.e1.count) && valid_count(s.e2.count) && valid_count(s.e3.count) &&
                    valid_count(s.count3),
                "trix count");
}

void trix::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  double a, b, c;
  out[0] = no_value;
  if (!s.e1.push(bar.close, period_, k_, a) || !s.e2.push(a, period_, k_, b) ||
      !s.e3.push(b, period_, k_, c))
    return;
  if (s.count3++ > 0) out[0] = s.prev3 != 0.0 ? ((c / s.prev3) - 1.0) * 100.0 : 0.0;
  s.prev3 = c;
}

} // namespace finstream::indicators
