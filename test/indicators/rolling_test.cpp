// The shared building blocks: rolling extremes against brute force, the TA-Lib-order moving sum.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "indicators/rolling.hpp"

namespace finstream::test {

using namespace finstream::indicators;

TEST_CASE("rolling extremes equal a brute-force scan, ties keep the latest index",
          "[indicators][rolling]") {
  std::mt19937 rng(5);
  for (int window : {1, 2, 3, 5, 14, 40}) {
    rolling_extreme<true> hi(window);
    rolling_extreme<false> lo(window);
    std::vector<double> xs;
    for (std::int64_t i = 0; i < 2000; ++i) {
      xs.push_back(static_cast<double>(rng() % 7)); // many ties
      const double h = hi.push(i, xs.back());
      const double l = lo.push(i, xs.back());
      const auto first = static_cast<std::size_t>(std::max<std::int64_t>(0, i - window + 1));
      double bh = xs[first], bl = xs[first];
      std::int64_t ih = static_cast<std::int64_t>(first), il = ih;
      for (std::size_t k = first; k < xs.size(); ++k) {
        if (xs[k] >= bh) bh = xs[k], ih = static_cast<std::int64_t>(k);
        if (xs[k] <= bl) bl = xs[k], il = static_cast<std::int64_t>(k);
      }
      REQUIRE(h == bh);
      REQUIRE(l == bl);
      REQUIRE(hi.extreme_index() == ih);
      REQUIRE(lo.extreme_index() == il);
    }
  }
}

TEST_CASE("block extremes equal a brute-force scan", "[indicators][rolling]") {
  std::mt19937 rng(6);
  for (int window : {1, 2, 3, 5, 14, 40}) {
    block_extreme<true> hi(window);
    block_extreme<false> lo(window);
    std::vector<double> xs;
    for (std::size_t i = 0; i < 2000; ++i) {
      xs.push_back(static_cast<double>(rng() % 1000) / 7.0);
      const double h = hi.push(xs.back());
      const double l = lo.push(xs.back());
      const std::size_t first = i + 1 >= static_cast<std::size_t>(window) ? i + 1 - window : 0;
      REQUIRE(h == *std::max_element(xs.begin() + first, xs.end()));
      REQUIRE(l == *std::min_element(xs.begin() + first, xs.end()));
    }
  }
}

TEST_CASE("the moving sum adds, averages, then drops the oldest value", "[indicators][rolling]") {
  sma_window w(3);
  double avg = 0;
  CHECK_FALSE(w.push(1, avg));
  CHECK_FALSE(w.push(2, avg));
  CHECK(w.push(3, avg));
  CHECK(avg == 2.0);
  CHECK(w.sum == 5.0); // 1 already dropped
  CHECK(w.push(10, avg));
  CHECK(avg == 5.0);
}

} // namespace finstream::test
