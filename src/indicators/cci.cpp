// CCI: TA_CCI in streaming form. The mean deviation needs every value of the window (O(period) per
// bar, as in TA-Lib). The mean is TA-Lib's sum in buffer index order, not a running sum, so that
// windows that are flat up to rounding give TA-Lib's exact result (its 0-or-±66.67 behaviour there
// depends on the last bit of the mean); its partial sums are cached, and only those from the
// overwritten slot on are recomputed (half of them per bar on average).
#include "indicators/cci.hpp"

namespace finstream::indicators {

cci::cci(int period)
    : period_(period) {
  require_param("cci", "period", period, 2);
  state_ = initial_state();
}

cci_state cci::initial_state() const {
  cci_state s;
  s.ring.assign(static_cast<std::size_t>(period_), 0.0);
  s.prefix.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void cci::rebuild_caches(cci_state& s) const {
  s.prefix.assign(s.ring.size(), 0.0);
  double sum = 0;
  for (std::size_t j = 0; j < s.ring.size(); ++j)
    s.prefix[j] = sum += s.ring[j];
}

void cci::check_state(const cci_state& s) const {
  require_state(s.ring.size() == static_cast<std::size_t>(period_), "cci window size");
  require_state(s.pos >= 0 && s.pos < period_ && valid_count(s.count), "cci window position");
}

} // namespace finstream::indicators
