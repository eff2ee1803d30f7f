// Tests of the trading-calendar helpers.
#include <catch2/catch.hpp>

#include "engine/calendar.hpp"

#include <date/date.h>

using namespace finstream;
using namespace finstream::engine;

namespace {

std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm) {
  return date::sys_days{date::year{y} / m / d} + std::chrono::hours{hh} + std::chrono::minutes{mm};
}

} // namespace

TEST_CASE("the last closed trading day in New York") {
  // Wednesday 2024-03-13 21:00 UTC = 17:00 EDT: the day has closed.
  CHECK(format_date(last_closed_trading_day(utc(2024, 3, 13, 21, 0), "America/New_York")) ==
        "2024-03-13");
  // Wednesday 15:00 EDT: not yet closed → Tuesday.
  CHECK(format_date(last_closed_trading_day(utc(2024, 3, 13, 19, 0), "America/New_York")) ==
        "2024-03-12");
  // Monday 10:00 EDT → the previous Friday.
  CHECK(format_date(last_closed_trading_day(utc(2024, 3, 11, 14, 0), "America/New_York")) ==
        "2024-03-08");
  // Sunday → Friday.
  CHECK(format_date(last_closed_trading_day(utc(2024, 3, 10, 23, 0), "America/New_York")) ==
        "2024-03-08");
}

TEST_CASE("the next daily run honours the time zone and skips weekends") {
  // Friday 2024-03-08 23:00 UTC = 18:00 EST, past 17:30: the next run is Monday 17:30 EDT
  // (daylight saving started on Sunday 2024-03-10) = 21:30 UTC.
  auto next = next_daily_run(utc(2024, 3, 8, 23, 0), "America/New_York", 17 * 60 + 30);
  CHECK(next == utc(2024, 3, 11, 21, 30));
  // Friday 12:00 EST → the same day at 17:30 EST = 22:30 UTC.
  CHECK(next_daily_run(utc(2024, 3, 8, 17, 0), "America/New_York", 17 * 60 + 30) ==
        utc(2024, 3, 8, 22, 30));
}

TEST_CASE("HH:MM parsing") {
  CHECK(parse_hh_mm("17:30") == 1050);
  CHECK(parse_hh_mm("00:00") == 0);
  CHECK(parse_hh_mm("24:00") == -1);
  CHECK(parse_hh_mm("7:30") == -1);
  CHECK(parse_hh_mm("ab:cd") == -1);
}
