// SMA(period): simple moving average of the close, equal to TA_SMA.
#pragma once

#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

namespace finstream::indicators {

struct sma_state {
  sma_window window;
  FINSTREAM_STATE_FIELDS(window)
};

class sma final : public basic_indicator<sma, sma_state> {
public:
  explicit sma(int period = 20);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_ - 1; }
  void update(const ohlcv& bar, double* out) override;

  sma_state initial_state() const;
  void check_state(const sma_state& s) const;

private:
  int period_;
};

// Inline so that indicator_set's fused pass over the default set can inline it.
inline void sma::update(const ohlcv& bar, double* out) {
  double avg;
  out[0] = state_.window.push(bar.close, avg) ? avg : no_value;
}

} // namespace finstream::indicators
