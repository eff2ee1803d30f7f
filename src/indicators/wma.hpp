// WMA(period): linearly weighted moving average of the close, equal to TA_WMA.
#pragma once

#include <cstdint>
#include <vector>

#include "indicators/indicator.hpp"

namespace finstream::indicators {

struct wma_state {
  std::vector<double> ring; // last `period` closes; ring[pos] is the oldest once full
  std::int32_t pos = 0;
  std::int64_t count = 0;
  double sum = 0;      // TA-Lib's periodSum (weighted)
  double sub = 0;      // TA-Lib's periodSub (plain)
  double trailing = 0; // TA-Lib's trailingValue
  FINSTREAM_STATE_FIELDS(ring, pos, count, sum, sub, trailing)
};

class wma final : public basic_indicator<wma, wma_state> {
public:
  explicit wma(int period = 20);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  wma_state initial_state() const;
  void check_state(const wma_state& s) const;

private:
  int period_;
  int divider_;
};

} // namespace finstream::indicators
