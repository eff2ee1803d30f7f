// MFI: TA_MFI in streaming form (running sums updated subtract-then-add, as TA-Lib does).
#include "indicators/mfi.hpp"

namespace finstream::indicators {

mfi::mfi(int period)
    : period_(period) {
  require_param("mfi", "period", period, 2);
  state_ = initial_state();
}

mfi_state mfi::initial_state() const {
  mfi_state s;
  s.positive.assign(static_cast<std::size_t>(period_), 0.0);
  s.negative.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void mfi::check_state(const mfi_state& s) const {
  require_state(s.positive.size() == static_cast<std::size_t>(period_) &&
                    s.negative.size() == static_cast<std::size_t>(period_),
                "mfi window size");
  require_state(s.pos >= 0 && s.pos < period_ && valid_count(s.count), "mfi window position");
}

} // namespace finstream::indicators
