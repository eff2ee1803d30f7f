// Trading-calendar helpers for planning: the last closed trading day, the daily schedule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/date.hpp"

namespace finstream::engine {

/// The most recent weekday whose session has closed at `now` in time zone `tz` (closing time
/// `close_minutes` after local midnight, e.g. 16:00 → 960). Exchange holidays are not modelled: a
/// holiday's fetch simply returns no bar.
day_t last_closed_trading_day(std::chrono::system_clock::time_point now, const std::string& tz,
                              int close_minutes = 16 * 60);

/// The next instant strictly after `now` at which the local wall clock in `tz` reads `minutes`
/// after midnight on a weekday (the daily run), daylight saving included.
std::chrono::system_clock::time_point next_daily_run(std::chrono::system_clock::time_point now,
                                                     const std::string& tz, int minutes);

/// Parses "HH:MM" into minutes after midnight; -1 when malformed.
int parse_hh_mm(const std::string& text);

} // namespace finstream::engine
