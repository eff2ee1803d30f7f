// Integration tests of the processor's reads and partition claims against the real PostgreSQL.
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/processor_store.hpp"
#include "pg/sink.hpp"

using namespace finstream;

namespace {
pg::sink_options no_metrics() {
  pg::sink_options o;
  o.enable_metrics = false;
  return o;
}
} // namespace

TEST_CASE("load_bars returns a symbol's stored bars in date order", "[pg][processor_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  pg::sink s{db.dsn(), no_metrics()};
  const day_t d0 = *parse_date("2024-01-02");
  pg::batch b;
  for (int i : {4, 0, 3, 1, 2}) // out of order on purpose
    b.rows.push_back(test::make_row("AAPL", d0 + i, 0.5));
  b.rows.push_back(test::make_row("MSFT", d0, 0.5));
  b.rows[1].b.low = std::nan(""); // stored as NULL, read back as NaN
  REQUIRE(s.write(b).status == pg::write_status::committed);

  const auto bars = pg::load_bars(c, "AAPL");
  REQUIRE(bars.size() == 5);
  for (int i = 0; i < 5; ++i) {
    const auto want = test::make_row("AAPL", d0 + i, 0.5).b;
    const auto& got = bars[static_cast<std::size_t>(i)];
    CHECK(got.date == d0 + i);
    CHECK(got.open == want.open);
    CHECK(got.high == want.high);
    CHECK(got.close == want.close);
    CHECK(got.adj_close == want.adj_close);
    CHECK(got.volume == want.volume);
    if (i != 0) CHECK(got.low == want.low);
  }
  CHECK(std::isnan(bars[0].low));
  CHECK(pg::load_bars(c, "IBM").empty());
  CHECK_THROWS_AS(pg::load_bars(c, "AAPL' OR '1'='1"), std::invalid_argument);
}

TEST_CASE("claim_partitions bumps the epoch and returns the committed position",
          "[pg][processor_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  auto first = pg::claim_partitions(c, "g", "t", {3, 1, 2});
  REQUIRE(first.size() == 3);
  CHECK(first[0].partition == 3);
  CHECK(first[1].partition == 1);
  for (const auto& p : first) {
    CHECK(p.epoch == 1);
    CHECK_FALSE(p.next_offset);
  }
  pg::sink s{db.dsn(), no_metrics()};
  pg::batch b;
  b.offsets.push_back({"g", "t", 1, 1, std::nullopt, 1234});
  REQUIRE(s.write(b).status == pg::write_status::committed);

  auto second = pg::claim_partitions(c, "g", "t", {1, 1, 4});
  REQUIRE(second.size() == 3);
  CHECK(second[0].epoch == 2);
  CHECK(second[0].next_offset == 1234);
  CHECK(second[2].epoch == 1);
  // Another group or topic is independent.
  CHECK(pg::claim_partitions(c, "other", "t", {1}).at(0).epoch == 1);
}

TEST_CASE("load_symbol_state returns only stored symbols and validates its input",
          "[pg][processor_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  CHECK(pg::load_symbol_state(c, {"AAPL"}).empty());
  CHECK(pg::load_symbol_state(c, {}).empty());
  CHECK_THROWS_AS(pg::load_symbol_state(c, {"AAPL", "a b"}), std::invalid_argument);
}

TEST_CASE("record_partition_layout records the first count and then reports the recorded one",
          "[pg][processor_store]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  CHECK(pg::record_partition_layout(c, "g", "t", 4) == 4);
  // Recorded: a later call reports 4 whatever the topic has now.
  CHECK(pg::record_partition_layout(c, "g", "t", 6) == 4);
  // The rows are the partitions' offset rows, nothing committed; claims keep their positions.
  auto claims = pg::claim_partitions(c, "g", "t", {0, 3});
  CHECK(claims[0].epoch == 1);
  CHECK_FALSE(claims[1].next_offset);
  CHECK(pg::record_partition_layout(c, "g", "t", 6) == 4);
  // A deployment that claimed its partitions before layouts were recorded: the highest one counts.
  pg::claim_partitions(c, "old", "t", {0, 1, 2});
  CHECK(pg::record_partition_layout(c, "old", "t", 3) == 3);
  CHECK(pg::record_partition_layout(c, "old", "t", 5) == 3);
  // Other groups and topics are independent; a count below 1 is refused.
  CHECK(pg::record_partition_layout(c, "g", "u", 2) == 2);
  CHECK_THROWS_AS(pg::record_partition_layout(c, "g", "v", 0), std::invalid_argument);
}
