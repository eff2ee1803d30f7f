// Tests of calendar conversions and exchange-local dates.
#include <catch2/catch.hpp>

#include "core/date.hpp"

using namespace finstream;

TEST_CASE("dates parse and format YYYY-MM-DD round trip") {
  auto d = parse_date("2020-02-29");
  REQUIRE(d);
  CHECK(format_date(*d) == "2020-02-29");
  CHECK(*parse_date("1970-01-01") == 0);
  CHECK(*parse_date("1970-01-02") == 1);
  CHECK(*parse_date("1969-12-31") == -1);
  CHECK(make_day(2020, 2, 29) == *d);
}

TEST_CASE("invalid dates are rejected") {
  for (const char* s : {"2021-02-29", "2020-13-01", "2020-1-01", "20200101", "2020-01-01x", "",
                        "abcd-ef-gh", "2020-00-10", "2020-04-31"})
    CHECK_FALSE(parse_date(s));
}

TEST_CASE("weekday follows the calendar") {
  CHECK(weekday(*parse_date("2024-01-01")) == 1); // a Monday
  CHECK(weekday(*parse_date("2023-12-31")) == 0); // a Sunday
}

TEST_CASE("local_day uses the zone's offset at that instant, daylight saving included") {
  // 2020-03-09 13:30 UTC is 09:30 EDT (UTC-4) on 2020-03-09; 2020-01-02 04:30 UTC is still
  // 2020-01-01 23:30 EST in New York.
  CHECK(format_date(local_day(1583760600, "America/New_York")) == "2020-03-09");
  CHECK(format_date(local_day(1577939400, "America/New_York")) == "2020-01-01");
  // Jakarta is UTC+7: 2020-01-01 20:00 UTC is already 2020-01-02 there.
  CHECK(format_date(local_day(1577908800, "Asia/Jakarta")) == "2020-01-02");
  CHECK_THROWS_WITH(local_day(0, "Mars/Olympus_Mons"), Catch::Contains("unknown time zone"));
}
