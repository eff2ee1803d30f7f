// Accelerated calendar (see sim_clock.hpp).
#include "core/sim_clock.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace finstream {

sim_clock sim_clock::parse(std::string_view spec) {
  const auto at = spec.find('@');
  const auto slash = spec.find('/', at == std::string_view::npos ? 0 : at);
  const std::string shape = "expected DATE@UNIX_SECONDS/DAY_SECONDS, e.g. 2020-01-01@1764600000/5";
  if (at == std::string_view::npos || slash == std::string_view::npos)
    throw std::invalid_argument("simulated clock: " + shape);
  sim_clock c;
  auto start = parse_date(spec.substr(0, at));
  if (!start) throw std::invalid_argument("simulated clock: start is not a date YYYY-MM-DD");
  c.start = *start;
  auto anchor = spec.substr(at + 1, slash - at - 1);
  auto [end, ec] = std::from_chars(anchor.data(), anchor.data() + anchor.size(), c.anchor);
  if (ec != std::errc{} || end != anchor.data() + anchor.size() || c.anchor < 0)
    throw std::invalid_argument("simulated clock: anchor is not Unix seconds; " + shape);
  auto seconds = std::string{spec.substr(slash + 1)};
  std::size_t used = 0;
  try {
    c.day_seconds = std::stod(seconds, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != seconds.size() || !std::isfinite(c.day_seconds) ||
      c.day_seconds < 0.1 || c.day_seconds > 86400)
    throw std::invalid_argument("simulated clock: a day must last 0.1 to 86400 real seconds");
  return c;
}

std::chrono::system_clock::time_point
sim_clock::at(std::chrono::system_clock::time_point real) const {
  using namespace std::chrono;
  const double real_s = duration<double>(real.time_since_epoch()).count() -
                        static_cast<double>(anchor);
  const double sim_s = static_cast<double>(day_start_epoch(start)) + real_s * 86400.0 / day_seconds;
  return system_clock::time_point{duration_cast<system_clock::duration>(duration<double>(sim_s))};
}

day_t sim_clock::today() const {
  using namespace std::chrono;
  const auto s = duration_cast<seconds>(at(system_clock::now()).time_since_epoch()).count();
  return static_cast<day_t>(s >= 0 ? s / 86400 : (s - 86399) / 86400);
}

calendar_clock make_calendar(std::string_view spec) {
  calendar_clock c;
  if (spec.empty()) {
    c.now = [](std::chrono::system_clock::time_point real) { return real; };
    c.today = [] { return today_utc(); };
    return c;
  }
  auto sim = sim_clock::parse(spec);
  c.now = [sim](std::chrono::system_clock::time_point real) { return sim.at(real); };
  c.today = [sim] { return sim.today(); };
  return c;
}

} // namespace finstream
