// Tests of cutting fetch results into batches.
#include <catch2/catch.hpp>

#include "engine/task_batches.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

fetch_task task() {
  fetch_task t;
  t.task_id = "T1";
  t.symbol = "AAPL";
  t.from = 100;
  t.to = 200;
  t.generation = 1234;
  return t;
}

} // namespace

TEST_CASE("bars are cut into bounded batches, events with the first, the last flagged") {
  bar_series s;
  for (int i = 0; i < 25; ++i) {
    bar b;
    b.date = 100 + i;
    b.close = i + 1;
    s.bars.push_back(b);
  }
  s.splits.push_back({110, 2, 1});
  auto batches = make_batches(task(), s, 10);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].bars.size() == 10);
  CHECK(batches[2].bars.size() == 5);
  CHECK(batches[0].splits.size() == 1);
  CHECK(batches[1].splits.empty());
  for (std::size_t i = 0; i < batches.size(); ++i) {
    CHECK(batches[i].seq == i);
    CHECK(batches[i].last == (i == 2));
    CHECK(batches[i].task_id == "T1");
    CHECK(batches[i].from == 100);
    CHECK(batches[i].generation == 1234); // every chunk carries its task's generation
  }
  CHECK(batches[1].bars.front().date == 110);
}

TEST_CASE("an empty result is one closing batch, a failure carries its reason and kind") {
  auto empty = make_batches(task(), bar_series{}, 10);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].last);
  CHECK(empty[0].error.empty());

  fetch_error err;
  err.kind = fetch_error_kind::not_found;
  err.reason = "AAPL: not found";
  auto failed = make_batches(task(), err, 10);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].last);
  CHECK(failed[0].error == "AAPL: not found");
  CHECK(failed[0].permanent);
  CHECK_FALSE(failed[0].throttled);

  err.kind = fetch_error_kind::throttled;
  CHECK_FALSE(make_batches(task(), err, 10)[0].permanent);
  CHECK(make_batches(task(), err, 10)[0].throttled);
  err.kind = fetch_error_kind::forbidden; // 401/403: not throttling
  CHECK_FALSE(make_batches(task(), err, 10)[0].throttled);
}

TEST_CASE("batches carry how far the source vouched for the range") {
  bar_series s;
  s.complete_through = 150;
  CHECK(make_batches(task(), s, 10)[0].complete_through == 150);
  s.complete_through = 0; // the whole range
  CHECK(make_batches(task(), s, 10)[0].complete_through == 200);
  s.complete_through = 999; // never beyond the task
  CHECK(make_batches(task(), s, 10)[0].complete_through == 200);
}
