// Unit tests of the sink's in-memory preparation of a batch's rows: one row per key, the later row
// winning, and each symbol's earliest date (what the append path's eligibility query reads).
#include <catch2/catch.hpp>

#include "pg/sink.hpp"

using namespace finstream;

namespace {

indicator_row row(const std::string& symbol, day_t date, double close) {
  indicator_row r;
  r.symbol = symbol;
  r.b.date = date;
  r.b.close = close;
  return r;
}

} // namespace

TEST_CASE("rows grouped by symbol with ascending dates are used as they are") {
  const day_t d = *parse_date("2024-01-02");
  const std::vector<indicator_row> rows = {row("AAPL", d, 1), row("AAPL", d + 1, 2),
                                           row("MSFT", d + 5, 3), row("IBM", d - 3, 4)};
  const auto u = pg::make_unique_rows(rows);
  CHECK(u.rows == &rows);
  CHECK(u.storage.empty());
  CHECK(u.symbols == std::vector<std::string>{"AAPL", "MSFT", "IBM"});
  CHECK(u.first_dates == std::vector<day_t>{d, d + 5, d - 3});
}

TEST_CASE("repeated keys keep the later row, interleaved symbols get their earliest date") {
  const day_t d = *parse_date("2024-01-02");
  const std::vector<indicator_row> rows = {row("AAPL", d + 1, 1), row("MSFT", d, 2),
                                           row("AAPL", d, 3),     row("AAPL", d + 1, 4),
                                           row("MSFT", d + 2, 5), row("MSFT", d, 6)};
  const auto u = pg::make_unique_rows(rows);
  REQUIRE(u.rows == &u.storage);
  REQUIRE(u.rows->size() == 4);
  std::vector<std::string> got;
  for (const auto& r : *u.rows)
    got.push_back(r.symbol + " " + format_date(r.b.date) + " " + std::to_string(int(r.b.close)));
  CHECK(got == std::vector<std::string>{"AAPL 2024-01-02 3", "AAPL 2024-01-03 4",
                                        "MSFT 2024-01-04 5", "MSFT 2024-01-02 6"});
  CHECK(u.symbols == std::vector<std::string>{"AAPL", "MSFT"});
  CHECK(u.first_dates == std::vector<day_t>{d, d});
}

TEST_CASE("a date that does not ascend inside a symbol's run is deduplicated too") {
  const day_t d = *parse_date("2024-01-02");
  const std::vector<indicator_row> rows = {row("AAPL", d, 1), row("AAPL", d, 2)};
  const auto u = pg::make_unique_rows(rows);
  REQUIRE(u.rows->size() == 1);
  CHECK(u.rows->front().b.close == 2);
  CHECK(pg::make_unique_rows({}).symbols.empty());
}
