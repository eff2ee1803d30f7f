// Calendar conversions on top of Howard Hinnant's date library (Debian's
// libhowardhinnant-date-dev), which reads the system's time-zone database.
#include "core/date.hpp"

#include <chrono>
#include <stdexcept>

#include <date/date.h>
#include <date/tz.h>

namespace finstream {

namespace {

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');
  return v;
}

} // namespace

std::optional<day_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!digits(y) || !digits(m) || !digits(d)) return std::nullopt;
  date::year_month_day ymd{date::year{to_int(y)}, date::month{static_cast<unsigned>(to_int(m))},
                           date::day{static_cast<unsigned>(to_int(d))}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<day_t>(date::sys_days{ymd}.time_since_epoch().count());
}

void format_date(day_t day, char* out) {
  date::year_month_day ymd{date::sys_days{date::days{day}}};
  int y = static_cast<int>(ymd.year());
  unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  out[0] = static_cast<char>('0' + (y / 1000) % 10);
  out[1] = static_cast<char>('0' + (y / 100) % 10);
  out[2] = static_cast<char>('0' + (y / 10) % 10);
  out[3] = static_cast<char>('0' + y % 10);
  out[4] = '-';
  out[5] = static_cast<char>('0' + m / 10);
  out[6] = static_cast<char>('0' + m % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + d / 10);
  out[9] = static_cast<char>('0' + d % 10);
}

std::string format_date(day_t day) {
  std::string s(10, ' ');
  format_date(day, s.data());
  return s;
}

day_t make_day(int year, unsigned month, unsigned day) {
  date::year_month_day ymd{date::year{year}, date::month{month}, date::day{day}};
  return static_cast<day_t>(date::sys_days{ymd}.time_since_epoch().count());
}

unsigned weekday(day_t day) {
  return date::weekday{date::sys_days{date::days{day}}}.c_encoding();
}

day_t today_utc() {
  auto now = std::chrono::system_clock::now();
  return static_cast<day_t>(date::floor<date::days>(now).time_since_epoch().count());
}

day_t local_day(std::int64_t epoch_seconds, std::string_view tz) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string{tz});
  } catch (const std::exception&) {
    throw std::runtime_error("unknown time zone '" + std::string{tz} + "'");
  }
  date::sys_seconds instant{std::chrono::seconds{epoch_seconds}};
  auto local = zone->to_local(instant);
  return static_cast<day_t>(date::floor<date::days>(local).time_since_epoch().count());
}

} // namespace finstream
