// Calendar days (exchange-local trading dates) as a count of days since 1970-01-01.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace finstream {

/// A civil date as days since 1970-01-01 (proleptic Gregorian). Plain integer so that bars stay
/// trivially copyable and dates compare and subtract cheaply.
using day_t = std::int32_t;

/// Parses exactly `YYYY-MM-DD` (a valid calendar date); anything else yields nullopt.
std::optional<day_t> parse_date(std::string_view text);

/// Formats as `YYYY-MM-DD`.
std::string format_date(day_t day);

/// Writes exactly 10 characters `YYYY-MM-DD` to `out` (no terminator). For hot paths.
void format_date(day_t day, char* out);

/// Builds a day from year, month (1-12), day (1-31); the caller passes a valid date.
day_t make_day(int year, unsigned month, unsigned day);

/// 0 = Sunday ... 6 = Saturday.
unsigned weekday(day_t day);

/// Today's date in UTC.
day_t today_utc();

/// Seconds since the epoch at 00:00 UTC of `day`.
inline std::int64_t day_start_epoch(day_t day) {
  return std::int64_t{day} * 86400;
}

/// The local calendar day in IANA time zone `tz` of the instant `epoch_seconds`.
/// Throws std::runtime_error when the zone is unknown to the system's time-zone database.
day_t local_day(std::int64_t epoch_seconds, std::string_view tz);

} // namespace finstream
