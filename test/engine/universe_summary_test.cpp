// Tests of the universe summary: counts by state, permanent failures, completeness dates.
#include <catch2/catch.hpp>

#include "engine/universe_summary.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

symbol_status st(const char* symbol, const char* status, std::optional<day_t> last = {},
                 bool permanent = false) {
  symbol_status s;
  s.symbol = symbol;
  s.status = status;
  s.last_date = last;
  if (last) s.first_date = *last - 10;
  s.permanent = permanent;
  return s;
}

} // namespace

TEST_CASE("summary: counts by state, absent rows pending, rows outside the universe ignored") {
  const day_t d = *parse_date("2024-06-28");
  auto s = summarize({"A", "B", "C", "D", "E", "F"},
                     {st("A", "done", d), st("B", "done", d - 3), st("C", "planned", d - 1),
                      st("D", "failed", {}, true), st("E", "failed", d - 7, false),
                      st("X", "done", d + 5)});
  CHECK(s.symbols == 6);
  CHECK(s.done == 2);
  CHECK(s.planned == 1);
  CHECK(s.failed == 2);
  CHECK(s.failed_permanent == 1);
  CHECK(s.pending == 1); // F has no row
  CHECK(*s.last_stored == d);
  CHECK_FALSE(s.complete_through); // F has nothing stored
}

TEST_CASE("summary: complete through the oldest last date, permanent failures excepted") {
  const day_t d = *parse_date("2024-06-28");
  auto s = summarize({"A", "B", "D"},
                     {st("A", "done", d), st("B", "planned", d - 2), st("D", "failed", {}, true)});
  REQUIRE(s.complete_through);
  CHECK(*s.complete_through == d - 2);
  CHECK(summarize({}, {}).complete_through == std::nullopt);
}
