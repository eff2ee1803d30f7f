// Integration tests of the deployment-wide token bucket in PostgreSQL.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/rate_limit.hpp"

using namespace finstream;
using namespace std::chrono_literals;

TEST_CASE("reservations from several connections queue behind each other at the bucket's rate",
          "[pg][rate_limit]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  // 2 connections × 5 reservations at 10 per second, burst 1, all at the same instant of a
  // simulated clock (token counts, not wall-clock timings: a loaded machine changes nothing):
  // the first is free, the others queue 100 ms apart behind each other, the last 900 ms.
  const double t0 = 1'800'000'000.0;
  std::vector<std::chrono::microseconds> waits;
  std::mutex m;
  auto take = [&] {
    pg::connection own{db.dsn()};
    for (int i = 0; i < 5; ++i) {
      auto w = pg::reserve_token(own, "yahoo:test", 10, 1, t0);
      std::lock_guard<std::mutex> lock(m);
      waits.push_back(w);
    }
  };
  std::thread other{take};
  take();
  other.join();
  REQUIRE(waits.size() == 10);
  std::sort(waits.begin(), waits.end());
  for (std::size_t i = 0; i < waits.size(); ++i) {
    INFO("reservation " << i);
    // Within the microsecond of rounding the division up.
    const auto expected = std::chrono::microseconds{100'000 * static_cast<long>(i)};
    CHECK(waits[i] >= expected);
    CHECK(waits[i] <= expected + 1us);
  }
  // Another bucket is independent; once the queue's time has passed, a token is free again, and
  // half a slot later one waits for the other half.
  CHECK(pg::reserve_token(c, "other", 10, 1, t0) == 0us);
  CHECK(pg::reserve_token(c, "yahoo:test", 10, 1, t0 + 1.0) == 0us);
  const auto half = pg::reserve_token(c, "yahoo:test", 10, 1, t0 + 1.05);
  CHECK(half >= 50'000us);
  CHECK(half <= 50'001us);
  // The server's own clock in production: a fresh bucket's first token is free.
  CHECK(pg::reserve_token(c, "real-clock", 10, 1) == 0us);
  CHECK_THROWS_AS(pg::reserve_token(c, "x", 0, 1), std::invalid_argument);
}
