// Tests of the accelerated calendar: parsing (with one-line errors) and the simulated instants.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "core/sim_clock.hpp"

using namespace finstream;
using namespace std::chrono;

TEST_CASE("sim_clock: a simulated day lasts the given real seconds from the absolute anchor") {
  auto c = sim_clock::parse("2020-01-01@1700000000/5");
  CHECK(c.start == *parse_date("2020-01-01"));
  CHECK(c.anchor == 1700000000);
  CHECK(c.day_seconds == 5);
  auto real = [](double s) {
    return system_clock::time_point{duration_cast<system_clock::duration>(duration<double>(s))};
  };
  auto sim_day = [&](double s) {
    return static_cast<day_t>(
        duration_cast<seconds>(c.at(real(s)).time_since_epoch()).count() / 86400);
  };
  CHECK(sim_day(1700000000) == *parse_date("2020-01-01"));
  CHECK(sim_day(1700000004.9) == *parse_date("2020-01-01"));
  CHECK(sim_day(1700000005) == *parse_date("2020-01-02"));
  CHECK(sim_day(1700000000 + 5 * 31) == *parse_date("2020-02-01"));
  // Half a real second is 2.4 simulated hours.
  CHECK(duration_cast<minutes>(c.at(real(1700000000.5)) - c.at(real(1700000000))).count() == 144);
  // Another process with the same spec agrees, whenever it started.
  CHECK(sim_clock::parse("2020-01-01@1700000000/5").at(real(1700000123)) == c.at(real(1700000123)));
}

TEST_CASE("sim_clock: malformed specs are refused with the reason") {
  for (const char* bad : {"", "2020-01-01", "2020-01-01@", "2020-13-01@1/5", "2020-01-01@x/5",
                          "2020-01-01@-1/5", "2020-01-01@1/0", "2020-01-01@1/abc",
                          "2020-01-01@1/5s", "2020-01-01@1/1e9", "2020-01-01@1/nan"}) {
    INFO(bad);
    CHECK_THROWS_AS(sim_clock::parse(bad), std::invalid_argument);
  }
  CHECK(make_calendar("").today() == today_utc());
  CHECK(make_calendar("2020-01-01@0/86400").today() > *parse_date("2020-01-01"));
}
