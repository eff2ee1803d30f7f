// The TA-Lib-form EMA as a building block: one EMA stage, seeded with the mean of its first
// `period` inputs (INT_EMA), for indicators that chain EMAs of derived series (TRIX; DEMA, TEMA).
#pragma once

#include <cstdint>

#include "indicators/ema.hpp"
#include "indicators/indicator.hpp"

namespace finstream::indicators {

/// One EMA in TA-Lib's form. Part of its owner's state struct (its fields are saved with it).
/// `k` is per_to_k(period) (rolling.hpp); pass the same period and k at every call.
struct ema_stage {
  std::int64_t count = 0; // inputs seen
  double value = 0;       // running sum during warm-up, then the EMA
  FINSTREAM_STATE_FIELDS(count, value)

  /// Feeds `x`; true with the EMA in `out` once `period` inputs were seen (TA-Lib's first value is
  /// at input period - 1), false during warm-up.
  bool push(double x, int period, double k, double& out) {
    if (count >= period) {
      value = ema_step(value, x, k);
    } else {
      value += x;
      if (count + 1 < period) {
        ++count;
        return false;
      }
      value /= period;
    }
    ++count;
    out = value;
    return true;
  }
};

} // namespace finstream::indicators
