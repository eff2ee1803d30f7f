// `finstream bench sink|e2e|daily` against the real PostgreSQL and Kafka, on tiny inputs: each runs
// to the end, stores what it claims, prints the ratio lines the performance goals are read from
// (against binary COPY, the Kafka share, the daily ratio) and leaves no scratch schema behind. The
// speed itself is measured by running the benchmarks, never asserted here.
#include <catch2/catch.hpp>

#include <string>

#include "pg/connection.hpp"
#include "pg/dsn.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

namespace finstream::test {
namespace {

// The number after `key=` in `out` (the first occurrence); fails when absent.
double value_of(const std::string& out, const std::string& key) {
  const auto at = out.find(key + "=");
  INFO(key);
  REQUIRE(at != std::string::npos);
  return std::stod(out.substr(at + key.size() + 1));
}

std::string last_line(const std::string& out) {
  REQUIRE(!out.empty());
  const auto start = out.rfind('\n', out.size() - 2) + 1;
  return out.substr(start, out.size() - 1 - start);
}

// A database of the test's own (benchmarks of parallel tests each create schemas), dropped at the
// end.
struct own_database {
  std::string name = unique_name("fs_bench");
  std::string dsn = pg::dsn_with(pg_dsn(), {{"dbname", name}});
  own_database() { pg::connection{pg_dsn()}.exec("CREATE DATABASE " + name); }
  ~own_database() {
    try {
      pg::connection{pg_dsn()}.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (...) {
    }
  }
  /// Schemas left in the database besides the system's and `public`.
  std::int64_t schemas() const {
    pg::connection c{dsn};
    return c.exec("SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'\n"
                  "  AND nspname NOT IN ('public', 'information_schema')")
        .int64(0, 0);
  }
};

} // namespace

TEST_CASE("bench sink writes every row through the append path and reports its ratio to binary "
          "COPY",
          "[cli][bench]") {
  own_database db;
  auto r = run_binary("bench", {"sink", "--pg", db.dsn, "--rows", "3000", "--batch-rows", "500",
                                "--no-psql"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("batches=6 stored_rows=3000") != std::string::npos);
  CHECK(value_of(r.out, "sink_vs_plain_copy_binary") > 0);
  CHECK(value_of(r.out, "sink_binary_staged_vs_plain_copy_binary") > 0);
  CHECK(last_line(r.out).rfind("rows_per_s=", 0) == 0);
  CHECK(db.schemas() == 0);
}

TEST_CASE("bench e2e reports its ratio to binary COPY of the same rows and the Kafka share",
          "[cli][bench]") {
  own_database db;
  auto r = run_binary("bench", {"e2e", "--pg", db.dsn, "--kafka", kafka_bootstrap(), "--symbols",
                                "4", "--years", "1", "--partitions", "3"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const double bars = value_of(r.out, "bars");
  CHECK(bars == value_of(r.out, " rows")); // the baseline copies exactly the stored rows
  CHECK(bars > 4 * 250);
  CHECK(value_of(r.out, "e2e_vs_binary_copy") > 0);
  CHECK(value_of(r.out, "kafka_share") > 0);
  CHECK(last_line(r.out).rfind("bars_per_s=", 0) == 0);
  CHECK(db.schemas() == 0);
}

TEST_CASE("bench daily times one new day with 1 and 20 years of history and prints the ratio",
          "[cli][bench]") {
  own_database db;
  auto r = run_binary("bench", {"daily", "--pg", db.dsn, "--kafka", kafka_bootstrap(),
                                "--symbols", "3", "--partitions", "3"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(value_of(r.out, "history_20y        backfill_seconds") > 0);
  // Every symbol got the new day, through the append path (unchanged revision bars dropped).
  for (const char* run : {"daily_1y ", "daily_20y "}) {
    const auto at = r.out.find(run);
    REQUIRE(at != std::string::npos);
    const auto line = r.out.substr(at, r.out.find('\n', at) - at);
    INFO(line);
    CHECK(line.find("new_rows=3 ") != std::string::npos);
    CHECK(line.find("batches_staged=0") != std::string::npos);
    CHECK(value_of(line, "batches_append") >= 1);
  }
  CHECK(last_line(r.out).rfind("daily_ratio=", 0) == 0);
  CHECK(value_of(r.out, "daily_ratio") > 0);
  CHECK(db.schemas() == 0);
}

} // namespace finstream::test
