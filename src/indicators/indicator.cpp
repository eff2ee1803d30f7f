// Shared parts of the indicator interface: default batch update, double encoding of state.
#include "indicators/indicator.hpp"
#include "indicators/rolling.hpp"

#include <algorithm>
#include <cstring>

namespace finstream::indicators {

int indicator::lookback() const {
  int lb = 0;
  for (std::size_t i = 0; i < output_count(); ++i)
    lb = std::max(lb, lookback(i));
  return lb;
}

void indicator::update_many(const ohlcv* bars, std::size_t n, double* out) {
  const std::size_t k = output_count();
  for (std::size_t i = 0; i < n; ++i)
    update(bars[i], out + i * k);
}

void state_writer::put(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_u64(bits);
}

void state_reader::get(double& v) {
  std::uint64_t bits = get_u64();
  std::memcpy(&v, &bits, sizeof v);
}

void require_param(const char* indicator, const char* name, int value, int min, int max) {
  if (value < min || value > max)
    throw std::invalid_argument(std::string{indicator} + ": " + name + " must be in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                std::to_string(value));
}

} // namespace finstream::indicators
