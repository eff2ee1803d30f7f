// Building blocks shared by several indicators: a moving sum in TA-Lib's operation order and an
// O(1)-amortized rolling maximum / minimum (monotonic deque over a ring buffer).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "indicators/indicator.hpp"

namespace finstream::indicators {

/// Simple moving average over the last `period` values, computed exactly as TA-Lib's INT_SMA:
/// the running total gets the new value added, the average is total / period, then the oldest
/// value of the window is subtracted. Same inputs → bit-identical results to TA_SMA / TA_MA(SMA).
struct sma_window {
  std::vector<double> ring; // the last `period` values; ring[pos] is the oldest once full
  std::int32_t pos = 0;
  std::int64_t count = 0; // values pushed so far
  double sum = 0;
  FINSTREAM_STATE_FIELDS(ring, pos, count, sum)

  explicit sma_window(int period = 1)
      : ring(static_cast<std::size_t>(period), 0.0) {}

  /// Adds `x`; when the window is full sets `avg` and returns true.
  bool push(double x, double& avg) {
    const auto p = static_cast<std::int32_t>(ring.size());
    sum += x;
    ring[static_cast<std::size_t>(pos)] = x;
    ++count;
    if (++pos == p) pos = 0;
    if (count < p) return false;
    avg = sum / p;
    sum -= ring[static_cast<std::size_t>(pos)];
    return true;
  }

  void check(int period) const {
    require_state(ring.size() == static_cast<std::size_t>(period), "moving window size");
    require_state(pos >= 0 && pos < period && valid_count(count), "moving window position");
  }
};

/// The maximum (Max = true) or minimum of the last `window` values, O(1) amortized per value.
/// Keeps a deque of (index, value) whose values strictly decrease (max) / increase (min) from the
/// front; among equal extremes it keeps the most recent one, which is also TA-Lib's choice where
/// the index matters (AROON).
template <bool Max>
struct rolling_extreme {
  std::vector<double> value; // ring storage of the deque, capacity `window`
  std::vector<std::int64_t> index;
  std::int32_t head = 0;
  std::int32_t size = 0;
  FINSTREAM_STATE_FIELDS(value, index, head, size)

  explicit rolling_extreme(int window = 1)
      : value(static_cast<std::size_t>(window), 0.0)
      , index(static_cast<std::size_t>(window), 0) {}

  /// Adds value `x` of bar `i` (bars numbered consecutively) and returns the extreme of bars
  /// (i - window, i].
  double push(std::int64_t i, double x) {
    const auto cap = static_cast<std::int32_t>(value.size());
    while (size > 0 && index[static_cast<std::size_t>(head)] <= i - cap) {
      if (++head == cap) head = 0;
      --size;
    }
    while (size > 0) {
      std::int32_t back = head + size - 1;
      if (back >= cap) back -= cap;
      const double b = value[static_cast<std::size_t>(back)];
      if (Max ? b > x : b < x) break;
      --size;
    }
    std::int32_t slot = head + size;
    if (slot >= cap) slot -= cap;
    value[static_cast<std::size_t>(slot)] = x;
    index[static_cast<std::size_t>(slot)] = i;
    ++size;
    return value[static_cast<std::size_t>(head)];
  }
  /// Bar index of the current extreme (valid after a push).
  std::int64_t extreme_index() const { return index[static_cast<std::size_t>(head)]; }

  /// `next` is the index the next push() will get (bars seen so far): live entries must be
  /// strictly increasing bar indices within the last `window` bars.
  void check(int window, std::int64_t next) const {
    require_state(value.size() == static_cast<std::size_t>(window) &&
                      index.size() == static_cast<std::size_t>(window),
                  "rolling extreme size");
    require_state(head >= 0 && head < window && size >= 0 && size <= window,
                  "rolling extreme position");
    std::int64_t prev = next - window - 1;
    for (std::int32_t k = 0; k < size; ++k) {
      const std::int64_t i = index[static_cast<std::size_t>((head + k) % window)];
      require_state(i > prev && i < next, "rolling extreme index");
      prev = i;
    }
  }
};

/// The maximum (Max = true) or minimum of the last `window` values when only the value is needed:
/// van Herk / Gil-Werman blocks. Values are stored in blocks of `window`; when a block is complete
/// its suffix extremes are computed once (O(window) every `window` values), and the extreme of the
/// window is that of the previous block's suffix and the current block's prefix: O(1) amortized
/// with no data-dependent branches, which beats the monotonic deque on noisy prices.
template <bool Max>
struct block_extreme {
  std::vector<double> block;  // the current block so far; block[j] is value number k*window + j
  std::vector<double> suffix; // suffix extremes of the previous block; suffix[window] = none
  std::int32_t pos = 0;       // position in the current block
  double prefix = 0;          // extreme of the current block so far
  FINSTREAM_STATE_FIELDS(block, suffix, pos, prefix)

  static constexpr double none =
      Max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  static double better(double a, double b) { return (Max ? a > b : a < b) ? a : b; }

  explicit block_extreme(int window = 1)
      : block(static_cast<std::size_t>(window), 0.0)
      , suffix(static_cast<std::size_t>(window) + 1, none)
      , prefix(none) {}

  /// Adds the next value and returns the extreme of the last `window` values (fewer at the start).
  double push(double x) {
    const auto w = static_cast<std::int32_t>(block.size());
    if (pos == w) { // the block is complete: it becomes the previous block
      double e = none;
      for (std::int32_t k = w - 1; k >= 0; --k) {
        e = better(block[static_cast<std::size_t>(k)], e);
        suffix[static_cast<std::size_t>(k)] = e;
      }
      pos = 0;
      prefix = none;
    }
    block[static_cast<std::size_t>(pos)] = x;
    prefix = better(x, prefix);
    ++pos;
    // Window = current block [0, pos) + previous block [pos, w).
    return better(prefix, suffix[static_cast<std::size_t>(pos)]);
  }

  void check(int window) const {
    require_state(block.size() == static_cast<std::size_t>(window) &&
                      suffix.size() == static_cast<std::size_t>(window) + 1,
                  "block extreme size");
    require_state(pos >= 0 && pos <= window, "block extreme position");
  }
};

/// TA-Lib's true range of a bar given the previous close (TA_TRANGE, and ADX's TRUE_RANGE).
inline double true_range(double high, double low, double prev_close) {
  double greatest = high - low;
  const double v2 = std::fabs(prev_close - high);
  greatest = v2 > greatest ? v2 : greatest;
  const double v3 = std::fabs(prev_close - low);
  return v3 > greatest ? v3 : greatest;
}

/// TA-Lib's zero test (TA_IS_ZERO): |v| < 1e-14.
inline bool ta_is_zero(double v) {
  return -1e-14 < v && v < 1e-14;
}

/// TA-Lib's smoothing constant of an exponential average of `period` (PER_TO_K).
inline double per_to_k(int period) {
  return 2.0 / static_cast<double>(period + 1);
}

/// Throws std::invalid_argument unless min <= value <= max (TA-Lib's parameter ranges).
void require_param(const char* indicator, const char* name, int value, int min, int max = 100000);

} // namespace finstream::indicators
