// An accelerated calendar for soak runs and demos: simulated days lasting a few real seconds, the
// same in every process given the same spec, so that a day's update runs again and again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/date.hpp"

namespace finstream {

/// Simulated time starts at 00:00 UTC of `start` at the real Unix time `anchor` and runs
/// 86400 / day_seconds times faster than real time. Replicas given the same spec agree on the
/// simulated date at any real instant (the anchor is absolute, not each process's start).
struct sim_clock {
  day_t start = 0;
  std::int64_t anchor = 0; // Unix seconds
  double day_seconds = 0;  // > 0

  /// Parses "YYYY-MM-DD@UNIX_SECONDS/SECONDS" (e.g. "2020-01-01@1764600000/5": 2020-01-01 begins
  /// at Unix time 1764600000, a simulated day lasts 5 s). Throws std::invalid_argument naming the
  /// problem.
  static sim_clock parse(std::string_view spec);

  /// The simulated instant at the real instant `real`.
  std::chrono::system_clock::time_point at(std::chrono::system_clock::time_point real) const;
  /// The simulated UTC date now.
  day_t today() const;
};

/// What "now" means to the calendar of a process: the real clock, or a simulated one.
struct calendar_clock {
  std::function<std::chrono::system_clock::time_point(std::chrono::system_clock::time_point)> now;
  std::function<day_t()> today;
};

/// The real calendar for an empty spec, else the simulated one of sim_clock::parse(spec).
calendar_clock make_calendar(std::string_view spec);

} // namespace finstream
