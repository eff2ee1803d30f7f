// Unit tests of batch merging and of the count/age batching policy.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "pg/batch.hpp"

using namespace finstream;
using namespace std::chrono_literals;
using pg::batch;
using pg::batcher;

namespace {

batch rows_batch(std::size_t n, const std::string& symbol = "AAPL") {
  batch b;
  for (std::size_t i = 0; i < n; ++i) {
    indicator_row r;
    r.symbol = symbol;
    r.b.date = static_cast<day_t>(19000 + i);
    b.rows.push_back(r);
  }
  return b;
}

pg::offset_commit offset(std::int32_t p, std::int64_t epoch, std::optional<std::int64_t> prev,
                         std::int64_t next) {
  return pg::offset_commit{"g", "stock_data_topic", p, epoch, prev, next};
}

} // namespace

TEST_CASE("batcher is due when max_rows rows are pending", "[pg][batch]") {
  batcher b{{10, 200ms}};
  const auto t0 = batcher::clock::time_point{} + 1h;
  CHECK_FALSE(b.due(t0));
  CHECK_FALSE(b.deadline());
  b.add(rows_batch(6), t0);
  CHECK_FALSE(b.due(t0));
  b.add(rows_batch(3), t0 + 1ms);
  CHECK_FALSE(b.due(t0 + 1ms));
  b.add(rows_batch(1), t0 + 2ms);
  CHECK(b.due(t0 + 2ms));
  CHECK(b.pending_rows() == 10);
  auto taken = b.take();
  CHECK(taken.rows.size() == 10);
  CHECK(b.empty());
  CHECK_FALSE(b.due(t0 + 1h));
}

TEST_CASE("batcher is due max_delay after the oldest pending work arrived", "[pg][batch]") {
  batcher b{{5000, 200ms}};
  const auto t0 = batcher::clock::time_point{} + 1h;
  b.add(rows_batch(1), t0);
  b.add(rows_batch(1), t0 + 150ms); // does not push the deadline
  REQUIRE(b.deadline());
  CHECK(*b.deadline() == t0 + 200ms);
  CHECK_FALSE(b.due(t0 + 199ms));
  CHECK(b.due(t0 + 200ms));
  b.take();
  b.add(rows_batch(1), t0 + 300ms); // a new batch starts a new clock
  CHECK(*b.deadline() == t0 + 500ms);
}

TEST_CASE("batcher counts work without rows (a failed task) as pending", "[pg][batch]") {
  batcher b{{5000, 200ms}};
  const auto t0 = batcher::clock::time_point{} + 1h;
  batch only_completion;
  only_completion.completions.push_back(
      {"MSFT", "t1", 18990, 19000, pg::task_status::failed, "404", true});
  b.add(std::move(only_completion), t0);
  CHECK_FALSE(b.empty());
  CHECK(b.due(t0 + 200ms));
  b.add(batch{}, t0); // nothing: ignored
  CHECK(b.take().completions.size() == 1);
}

TEST_CASE("batch::append keeps arrival order and chains offsets of a partition", "[pg][batch]") {
  batch a = rows_batch(2, "AAPL");
  a.offsets.push_back(offset(3, 7, std::nullopt, 10));
  a.states.push_back({"AAPL", 19001, 1, "s1"});
  batch b = rows_batch(1, "MSFT");
  b.offsets.push_back(offset(3, 7, 10, 12));
  b.offsets.push_back(offset(4, 7, 100, 101));
  b.states.push_back({"AAPL", 19002, 1, "s2"});
  a.append(std::move(b));
  REQUIRE(a.rows.size() == 3);
  CHECK(a.rows[2].symbol == "MSFT");
  REQUIRE(a.offsets.size() == 2);
  CHECK(a.offsets[0].partition == 3);
  CHECK(a.offsets[0].expected_prev == std::nullopt);
  CHECK(a.offsets[0].next == 12);
  CHECK(a.offsets[1].partition == 4);
  CHECK(a.offsets[1].expected_prev == 100);
  REQUIRE(a.states.size() == 2); // the sink keeps the last state of a symbol
  CHECK(a.states.back().state == "s2");
}

TEST_CASE("batch::append refuses offsets that do not chain and leaves the batch unchanged",
          "[pg][batch]") {
  batch a = rows_batch(1);
  a.offsets.push_back(offset(3, 7, 5, 10));
  batch gap = rows_batch(1);
  gap.offsets.push_back(offset(3, 7, 11, 12));
  CHECK_THROWS_AS(a.append(std::move(gap)), std::invalid_argument);
  batch other_epoch = rows_batch(1);
  other_epoch.offsets.push_back(offset(3, 8, 10, 12));
  CHECK_THROWS_AS(a.append(std::move(other_epoch)), std::invalid_argument);
  CHECK(a.rows.size() == 1);
  REQUIRE(a.offsets.size() == 1);
  CHECK(a.offsets[0].next == 10);
}
