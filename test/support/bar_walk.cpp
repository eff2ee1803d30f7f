// Random-walk bars for tests (see bar_walk.hpp).
#include "support/bar_walk.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace finstream::test {

std::vector<bar> walk(day_t first, int n, std::uint32_t seed) {
  std::mt19937 rng{seed};
  std::normal_distribution<double> step{0.0, 0.02};
  std::vector<bar> out;
  double price = 100;
  for (int i = 0; i < n; ++i) {
    bar b;
    b.date = first + i;
    b.open = price;
    price *= std::exp(step(rng));
    b.close = price;
    b.high = std::max(b.open, b.close) * 1.01;
    b.low = std::min(b.open, b.close) * 0.99;
    b.adj_close = b.close;
    b.volume = 1000000 + static_cast<std::int64_t>(rng() % 500000);
    out.push_back(b);
  }
  return out;
}

} // namespace finstream::test
