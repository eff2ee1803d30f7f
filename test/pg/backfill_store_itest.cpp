// Integration tests of the backfill request queue: recorded, taken once, in order.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <thread>

#include "pg/backfill_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"

using namespace finstream;

TEST_CASE("backfill requests are taken once, in order", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const day_t from = *parse_date("2010-01-01"), to = *parse_date("2012-12-31");
  const auto a = pg::request_backfill(c, {"AAPL", "BRK-B", "^GSPC"}, from, to);
  const auto b = pg::request_backfill(c, {}, from + 1, to);
  CHECK(b > a);
  auto taken = pg::take_backfill_requests(c);
  REQUIRE(taken.size() == 2);
  CHECK(taken[0].id == a);
  CHECK(taken[0].symbols == std::vector<std::string>{"AAPL", "BRK-B", "^GSPC"});
  CHECK(taken[0].from == from);
  CHECK(taken[0].to == to);
  CHECK(taken[1].id == b);
  CHECK(taken[1].symbols.empty());
  CHECK(taken[1].from == from + 1);
  CHECK(pg::take_backfill_requests(c).empty());
}

TEST_CASE("concurrent takers never get the same backfill request", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  for (int i = 0; i < 200; ++i)
    pg::request_backfill(c, {"S" + std::to_string(i)}, 1000, 2000);
  pg::connection c1{db.dsn()}, c2{db.dsn()};
  std::vector<pg::backfill_request> t1, t2;
  std::thread th([&] {
    for (int i = 0; i < 20; ++i) {
      auto part = pg::take_backfill_requests(c1);
      t1.insert(t1.end(), part.begin(), part.end());
    }
  });
  for (int i = 0; i < 20; ++i) {
    auto part = pg::take_backfill_requests(c2);
    t2.insert(t2.end(), part.begin(), part.end());
  }
  th.join();
  std::set<std::int64_t> ids;
  for (const auto& r : t1)
    ids.insert(r.id);
  for (const auto& r : t2)
    ids.insert(r.id);
  CHECK(t1.size() + t2.size() == 200);
  CHECK(ids.size() == 200);
}

TEST_CASE("request_backfill validates symbols and range before any SQL", "[pg][backfill_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  CHECK_THROWS_AS(pg::request_backfill(c, {"AAPL", "no good"}, 1, 2), std::invalid_argument);
  CHECK_THROWS_AS(pg::request_backfill(c, {"AAPL"}, 3, 2), std::invalid_argument);
  CHECK(test::count(c, "SELECT count(*) FROM backfill_requests") == 0);
}
