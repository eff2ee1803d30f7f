// Tests of the partition ownership of symbol states: a partition revoked inside the poll that
// returned its records, moved to another processor that advances its symbol, and given back.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "engine/partition_tracker.hpp"
#include "support/bar_walk.hpp"
#include "support/memory_stores.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

bar_batch chunk(const std::vector<bar>& bars, std::size_t from, std::size_t to) {
  bar_batch b;
  b.task_id = "X:t";
  b.symbol = "X";
  b.bars.assign(bars.begin() + static_cast<std::ptrdiff_t>(from),
                bars.begin() + static_cast<std::ptrdiff_t>(to));
  b.from = b.bars.front().date;
  b.to = b.bars.back().date;
  return b;
}

/// One processor: its symbol states, its ownership, committing to the shared store after each
/// record, as the Kafka processor does through the sink.
struct member {
  test::memory_history_store& store;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  partition_tracker tracker{proc};

  /// A poll returned `records` (partition, batch); the handler skips partitions not owned.
  void handle(const std::vector<std::pair<std::int32_t, bar_batch>>& records) {
    std::vector<std::pair<std::int32_t, std::string>> polled;
    for (const auto& [p, b] : records)
      polled.emplace_back(p, b.symbol);
    tracker.preload(polled);
    for (const auto& [p, b] : records) {
      if (!tracker.owns(p)) continue;
      tracker.processing(b.symbol, p);
      pending_output out;
      proc.process(b, out);
      store.commit(out, indicators::indicator_set::algorithm_version);
      proc.committed();
    }
  }
};

void require_rows_equal(const test::memory_history_store& a, const test::memory_history_store& b) {
  const auto& ra = a.rows.at("X");
  const auto& rb = b.rows.at("X");
  REQUIRE(ra.size() == rb.size());
  for (const auto& [date, row] : ra) {
    INFO(format_date(date));
    const auto& other = rb.at(date);
    for (std::size_t i = 0; i < indicator_column_count; ++i) {
      INFO(indicator_columns[i]);
      double x = row.values[i], y = other.values[i];
      REQUIRE((std::memcmp(&x, &y, sizeof x) == 0 || (std::isnan(x) && std::isnan(y))));
    }
  }
}

} // namespace

TEST_CASE("a partition revoked inside a poll, advanced elsewhere and given back leaves no stale "
          "state") {
  auto bars = test::walk(12000, 160, 42);
  test::memory_history_store fresh, shared;
  {
    symbol_processor once{indicators::indicator_set::default_set(), fresh};
    pending_output out;
    once.process(chunk(bars, 0, 160), out);
    fresh.commit(out, indicators::indicator_set::algorithm_version);
  }
  member a{shared}, b{shared};
  a.tracker.assigned({0, 1});
  a.handle({{0, chunk(bars, 0, 40)}});
  // A poll of `a` returns the next record of partition 0, fetched before partition 0 was revoked
  // inside that same poll (the rebalance callback ran between two records).
  a.tracker.revoked({0});
  a.handle({{0, chunk(bars, 40, 80)}});
  CHECK(a.proc.cached_symbols() == 0);
  // `b` owns partition 0 now and advances X.
  b.tracker.assigned({0});
  b.handle({{0, chunk(bars, 40, 80)}, {0, chunk(bars, 80, 120)}});
  // Partition 0 comes back to `a`, which continues from what `b` committed.
  b.tracker.revoked({0});
  a.tracker.assigned({0});
  a.handle({{0, chunk(bars, 120, 160)}});
  require_rows_equal(fresh, shared);
}

TEST_CASE("an assignment drops the states of partitions not owned without a break") {
  auto bars = test::walk(12000, 60, 43);
  test::memory_history_store store;
  member a{store};
  a.tracker.assigned({0, 1});
  bar_batch y = chunk(bars, 0, 30);
  y.symbol = "Y";
  a.handle({{0, chunk(bars, 0, 30)}, {1, y}});
  CHECK(a.proc.cached_symbols() == 2);
  // A partition newly assigned keeps the states of the partitions still owned.
  a.tracker.assigned({2});
  CHECK(a.proc.cached_symbols() == 2);
  // Partition 1 is revoked: Y goes; X of the partition owned throughout stays.
  a.tracker.revoked({1});
  CHECK(a.proc.cached_symbols() == 1);
  // A state loaded by the processor outside a tracked record (e.g. before a crash of the
  // bookkeeping) does not survive the next assignment either.
  a.proc.preload({"Z"});
  CHECK(a.proc.cached_symbols() == 2);
  a.tracker.assigned({1});
  CHECK(a.proc.cached_symbols() == 1);
}
