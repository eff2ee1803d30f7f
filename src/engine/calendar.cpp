// Calendar computations with Howard Hinnant's tz library (system time-zone database).
#include "engine/calendar.hpp"

#include <date/tz.h>

namespace finstream::engine {

namespace {

bool is_weekday(date::local_days d) {
  auto wd = date::weekday{d}.c_encoding();
  return wd != 0 && wd != 6;
}

} // namespace

day_t last_closed_trading_day(std::chrono::system_clock::time_point now, const std::string& tz,
                              int close_minutes) {
  auto zone = date::locate_zone(tz);
  auto local = zone->to_local(date::floor<std::chrono::seconds>(now));
  auto day = date::floor<date::days>(local);
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(local - day).count();
  if (!(is_weekday(day) && minutes >= close_minutes)) day -= date::days{1};
  while (!is_weekday(day))
    day -= date::days{1};
  return static_cast<day_t>(day.time_since_epoch().count());
}

std::chrono::system_clock::time_point next_daily_run(std::chrono::system_clock::time_point now,
                                                     const std::string& tz, int minutes) {
  auto zone = date::locate_zone(tz);
  auto local = zone->to_local(date::floor<std::chrono::seconds>(now));
  auto day = date::floor<date::days>(local);
  for (int i = 0; i < 10; ++i, day += date::days{1}) {
    if (!is_weekday(day)) continue;
    auto at = zone->to_sys(day + std::chrono::minutes{minutes}, date::choose::latest);
    if (at > now) return at;
  }
  return now + std::chrono::hours{24};
}

int parse_hh_mm(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (int i : {0, 1, 3, 4})
    if (text[i] < '0' || text[i] > '9') return -1;
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

} // namespace finstream::engine
