// ROC(period): rate of change in percent, ((close / close[period bars ago]) - 1) * 100, equal to
// TA_ROC.
#pragma once

#include "indicators/indicator.hpp"
#include "indicators/mom.hpp"

namespace finstream::indicators {

class roc final : public basic_indicator<roc, lag_state> {
public:
  explicit roc(int period = 10);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  lag_state initial_state() const;
  void check_state(const lag_state& s) const { s.check(period_); }

private:
  int period_;
};

} // namespace finstream::indicators
