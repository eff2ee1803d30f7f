// MOM(period): momentum close - close[period bars ago], equal to TA_MOM.
#pragma once

#include <cstdint>
#include <vector>

#include "indicators/indicator.hpp"

namespace finstream::indicators {

/// The last `period` closes; shared by MOM and ROC.
struct lag_state {
  std::vector<double> ring; // ring[pos] is the close `period` bars before the next one
  std::int32_t pos = 0;
  std::int64_t count = 0;
  FINSTREAM_STATE_FIELDS(ring, pos, count)

  /// Stores `x` and returns true with the value `period` bars earlier in `lagged` once it exists.
  bool push(double x, double& lagged) {
    const auto p = static_cast<std::int32_t>(ring.size());
    lagged = ring[static_cast<std::size_t>(pos)];
    ring[static_cast<std::size_t>(pos)] = x;
    if (++pos == p) pos = 0;
    return count++ >= p;
  }
  void check(int period) const {
    require_state(ring.size() == static_cast<std::size_t>(period), "lag window size");
    require_state(pos >= 0 && pos < period && valid_count(count), "lag window position");
  }
};

class mom final : public basic_indicator<mom, lag_state> {
public:
  explicit mom(int period = 10);
  std::size_t output_count() const override { return 1; }
  int lookback(std::size_t) const override { return period_; }
  void update(const ohlcv& bar, double* out) override;

  lag_state initial_state() const;
  void check_state(const lag_state& s) const { s.check(period_); }

private:
  int period_;
};

} // namespace finstream::indicators
