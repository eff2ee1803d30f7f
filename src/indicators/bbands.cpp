// BBANDS: TA_BBANDS (TA_SMA + INT_stddev_using_precalc_ma) in streaming form.
#include "indicators/bbands.hpp"

#include <stdexcept>
#include <string>

namespace finstream::indicators {

bbands::bbands(int period, double deviations)
    : period_(period)
    , deviations_(deviations) {
  require_param("bbands", "period", period, 2);
  if (!(deviations >= -3e37 && deviations <= 3e37))
    throw std::invalid_argument("bbands: deviations must be a finite number");
  state_ = initial_state();
}

bbands_state bbands::initial_state() const {
  bbands_state s;
  s.ring.assign(static_cast<std::size_t>(period_), 0.0);
  return s;
}

void bbands::check_state(const bbands_state& s) const {
  require_state(s.ring.size() == static_cast<std::size_t>(period_), "bbands window size");
  require_state(s.pos >= 0 && s.pos < period_ && valid_count(s.count), "bbands window position");
}

} // namespace finstream::indicators
