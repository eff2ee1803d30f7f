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
  // 2 connections × 5 reservations at 10 per second, burst 1, taken at once: the first is free,
  // the others wait for their turn, the last for about 0.9 s.
  std::vector<std::chrono::microseconds> waits;
  std::mutex m;
  auto take = [&] {
    pg::connection own{db.dsn()};
    for (int i = 0; i < 5; ++i) {
      auto w = pg::reserve_token(own, "yahoo:test", 10, 1);
      std::lock_guard<std::mutex> lock(m);
      waits.push_back(w);
    }
  };
  std::thread other{take};
  take();
  other.join();
  REQUIRE(waits.size() == 10);
  std::sort(waits.begin(), waits.end());
  CHECK(waits.front() == 0us);
  // Each wait is a distinct slot 100 ms apart (minus the time the reservations took).
  for (std::size_t i = 1; i < waits.size(); ++i)
    CHECK(waits[i] - waits[i - 1] > 50ms);
  CHECK(waits.back() > 700ms);
  CHECK(waits.back() <= 900ms);
  // Another bucket is independent; after the queue drained, a token is free again.
  CHECK(pg::reserve_token(c, "other", 10, 1) == 0us);
  std::this_thread::sleep_for(waits.back() + 150ms);
  CHECK(pg::reserve_token(c, "yahoo:test", 10, 1) == 0us);
  CHECK_THROWS_AS(pg::reserve_token(c, "x", 0, 1), std::invalid_argument);
}
