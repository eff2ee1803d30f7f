// OBV: TA_OBV in streaming form.
#include "indicators/obv.hpp"

namespace finstream::indicators {

void obv::check_state(const obv_state& s) const {
  require_state(valid_count(s.count), "obv count");
}

} // namespace finstream::indicators
