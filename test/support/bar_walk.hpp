// Deterministic daily bars for engine tests: a geometric random walk with consistent OHLC.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bar.hpp"

namespace finstream::test {

/// `n` consecutive daily bars from `first` (one per day), the same for the same seed.
std::vector<bar> walk(day_t first, int n, std::uint32_t seed);

} // namespace finstream::test
