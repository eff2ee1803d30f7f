// Tests of the restart after a retention overrun: a symbol processed with a gap (bars lost in
// deleted records) ends bit-identical to an uninterrupted computation once its re-fetched task
// restarts it, and only the batch that may restart it does.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "engine/resync.hpp"
#include "support/bar_walk.hpp"
#include "support/memory_stores.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

bar_batch batch_of(const std::vector<bar>& all, std::size_t from, std::size_t to,
                   std::uint32_t seq, bool last, const std::string& task = "IBM:t") {
  bar_batch b;
  b.task_id = task;
  b.symbol = "IBM";
  b.from = all.front().date; // the task's range, repeated in every chunk
  b.to = all.back().date;
  b.seq = seq;
  b.last = last;
  b.bars.assign(all.begin() + static_cast<std::ptrdiff_t>(from),
                all.begin() + static_cast<std::ptrdiff_t>(to));
  return b;
}

/// Feeds batches through `proc` (store behind `tracker`), restarting where the tracker says so
/// as the Kafka processor does, committing after each batch.
void feed(symbol_processor& proc, resync_tracker& tracker, test::memory_history_store& store,
          const std::vector<bar_batch>& batches) {
  for (const auto& b : batches) {
    if (tracker.restarts(b)) tracker.restart(proc, b.symbol);
    pending_output out;
    proc.process(b, out);
    store.commit(out, indicators::indicator_set::algorithm_version);
    proc.committed();
  }
}

bool same_rows(const test::memory_history_store& a, const test::memory_history_store& b) {
  const auto& ra = a.rows.at("IBM");
  const auto& rb = b.rows.at("IBM");
  if (ra.size() != rb.size()) return false;
  for (const auto& [date, row] : ra) {
    auto it = rb.find(date);
    if (it == rb.end() || !(row.b == it->second.b)) return false;
    for (std::size_t i = 0; i < indicator_column_count; ++i) {
      double x = row.values[i], y = it->second.values[i];
      if (std::memcmp(&x, &y, sizeof x) != 0 && !(std::isnan(x) && std::isnan(y))) return false;
    }
  }
  return true;
}

} // namespace

TEST_CASE("resync: a gap left by lost records is filled exactly by the re-planned task's restart") {
  auto bars = test::walk(10000, 300, 11);
  test::memory_history_store whole, gapped, plain;
  {
    resync_tracker t{whole};
    symbol_processor p{indicators::indicator_set::default_set(), t};
    feed(p, t, whole, {batch_of(bars, 0, 300, 0, true)});
  }
  // The original task came in three chunks; the middle one was in records retention deleted.
  const std::vector<bar_batch> with_gap{batch_of(bars, 0, 100, 0, false),
                                        batch_of(bars, 200, 300, 2, true)};
  // The re-planned task: the whole range again, in chunks.
  const std::vector<bar_batch> refetch{batch_of(bars, 0, 100, 0, false, "IBM:b1"),
                                       batch_of(bars, 100, 200, 1, false, "IBM:b1"),
                                       batch_of(bars, 200, 300, 2, true, "IBM:b1")};
  SECTION("without a restart the re-fetched bars are dropped as duplicates: the gap stays") {
    resync_tracker t{plain};
    symbol_processor p{indicators::indicator_set::default_set(), t};
    feed(p, t, plain, with_gap);
    feed(p, t, plain, refetch);
    CHECK(plain.rows.at("IBM").size() == 200);
    CHECK_FALSE(same_rows(whole, plain));
  }
  SECTION("with the symbol pending, the re-fetch's first chunk restarts it") {
    resync_tracker t{gapped};
    symbol_processor p{indicators::indicator_set::default_set(), t};
    feed(p, t, gapped, with_gap);
    t.add("IBM", bars.front().date);
    // A later chunk of some task, and a chunk 0 starting after the pending date, do not restart.
    CHECK_FALSE(t.restarts(refetch[1]));
    auto late = batch_of(bars, 150, 200, 0, true);
    late.from = bars[150].date;
    CHECK_FALSE(t.restarts(late));
    auto failed = refetch[0];
    failed.bars.clear();
    failed.error = "timeout";
    CHECK_FALSE(t.restarts(failed));
    REQUIRE(t.restarts(refetch[0]) == bars.front().date);
    feed(p, t, gapped, refetch);
    CHECK(t.empty());
    CHECK(same_rows(whole, gapped));
  }
  SECTION("a restarted symbol's processor restarted too (state from the store) ends exact") {
    resync_tracker t{gapped};
    auto p = std::make_unique<symbol_processor>(indicators::indicator_set::default_set(), t);
    feed(*p, t, gapped, with_gap);
    t.reset({{"IBM", bars.front().date}});
    feed(*p, t, gapped, {refetch[0]});
    p = std::make_unique<symbol_processor>(indicators::indicator_set::default_set(), t);
    feed(*p, t, gapped, {refetch[1], refetch[2]});
    CHECK(same_rows(whole, gapped));
  }
}
