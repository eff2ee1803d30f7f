// TRIX(period): one-bar rate of change (percent) of a triple EMA of the close, equal to TA_TRIX.
#pragma once

#include <cstdint>

#include "indicators/ema_stage.hpp"
#include "indicators/indicator.hpp"

namespace finstream::indicators {

struct trix_state {
  ema_stage e1, e2, e3;
  std::int64_t count3 = 0; // values out of e3 so far
  double prev3 = 0;
  FINSTREAM_STATE_FIELDS(e1, e2, e3, count3, prev3)
};

class trix final : public basic_indicator<trix, trix_state> {
public:
  explicit trix(int period = 30);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return 3 * (period_ - 1) + 1; }
  void update(const ohlcv& bar, double* out) override;

  trix_state initial_state() const { return {}; }
  void check_state(const trix_state& s) const;

private:
  int period_;
  double k_;
};

} // namespace finstream::indicators
