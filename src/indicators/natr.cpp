// NATR: TA_NATR in streaming form.
#include "indicators/natr.hpp"

#include "indicators/rolling.hpp"

namespace finstream::indicators {

natr::natr(int period)
    : period_(period) {
  require_param("natr", "period", period, 1);
  state_ = initial_state();
}

void natr::check_state(const atr_state& s) const {
  require_state(valid_count(s.count), "natr count");
}

void natr::update(const ohlcv& bar, double* out) {
  auto& s = state_;
  const std::int64_t i = s.count++;
  out[0] = no_value;
  if (i > 0) {
    const double tr = true_range(bar.high, bar.low, s.prev_close);
    if (period_ == 1) {
      out[0] = tr;
    } else {
      bool ready = true;
      if (i > period_) {
        s.value *= period_ - 1;
        s.value += tr;
        s.value /= period_;
      } else {
        s.value += tr;
        ready = i == period_;
        if (ready) s.value /= period_;
      }
      if (ready) out[0] = !ta_is_zero(bar.close) ? (s.value / bar.close) * 100.0 : 0.0;
    }
  }
  s.prev_close = bar.close;
}

} // namespace finstream::indicators
