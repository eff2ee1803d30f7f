// AROON(period): Aroon down and up, equal to TA_AROON (window of period + 1 bars; among equal
// extremes the most recent counts).
#pragma once

#include <cstdint>

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct aroon_state {
  std::int64_t count = 0;
  rolling_extreme<true> highest;
  rolling_extreme<false> lowest;
  FINSTREAM_STATE_FIELDS(count, highest, lowest)
};

class aroon final : public basic_indicator<aroon, aroon_state> {
public:
  explicit aroon(int period = 14);
  std::size_t output_count() const override { return 2; } // aroon_down, aroon_up
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  aroon_state initial_state() const;
  void check_state(const aroon_state& s) const;

private:
  int period_;
  double factor_;
};

} // namespace finstream::indicators
