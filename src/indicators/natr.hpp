// NATR(period): ATR as a percentage of the close, equal to TA_NATR (which, for period 1, returns
// the plain true range, as TA-Lib does).
#pragma once

#include "indicators/atr.hpp"
#include "indicators/indicator.hpp"

namespace finstream::indicators {

class natr final : public basic_indicator<natr, atr_state> {
public:
  explicit natr(int period = 14);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  atr_state initial_state() const { return {}; }
  void check_state(const atr_state& s) const;

private:
  int period_;
};

} // namespace finstream::indicators
