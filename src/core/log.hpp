// Structured logging on spdlog: one logfmt-style line per event on stderr, secrets redacted.
//
// Line format: `<UTC ts> <level> role=<role> event=<event> key=value ...`, e.g.
//   2024-05-02T21:03:07.125Z info role=agent event=fetch_done symbol=AAPL rows=5
// Values that are empty or contain blanks, quotes, '=' or control characters are double-quoted
// with \" \\ \n \r \t escapes. Every value (and the event) passes through redact(), so a DSN or an
// error text that carries a password never reaches the log.
//
// Threads: every function here may be called from any thread (spdlog's _mt sink); setup() is
// meant to run once at start-up, before other threads log, but is safe at any time. Logging works
// before setup() (level info, stderr).
//
// Note: this namespace is finstream::log; inside namespace finstream write std::log for the
// logarithm.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include <spdlog/common.h>

namespace finstream::log {

using level = spdlog::level::level_enum;

/// One key=value pair of a log line. Keys are identifiers chosen by the code (not escaped);
/// values may be anything (escaped, quoted and redacted when written).
struct field {
  std::string_view key;
  std::string value;

  field(std::string_view k, std::string_view v)
      : key(k)
      , value(v) {}
  field(std::string_view k, const char* v)
      : key(k)
      , value(v ? v : "") {}
  field(std::string_view k, const std::string& v)
      : key(k)
      , value(v) {}
  field(std::string_view k, bool v)
      : key(k)
      , value(v ? "true" : "false") {}
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool> &&
                                          !std::is_same_v<T, char>,
                                      int> = 0>
  field(std::string_view k, T v)
      : key(k)
      , value(number(v)) {}

private:
  template <class T>
  static std::string number(T v) {
    if constexpr (std::is_floating_point_v<T>)
      return format_double(static_cast<double>(v));
    else
      return std::to_string(v);
  }
  static std::string format_double(double v);
};

using fields = std::initializer_list<field>;

/// Parses a --log-level value: trace, debug, info, warn (or warning), error, critical, off
/// (case-insensitive). Throws std::invalid_argument naming the accepted values otherwise.
level parse_level(std::string_view s);

/// (Re)configures the process logger: stderr, the line format above, minimum level `lvl`.
void setup(level lvl);
/// Same, from a --log-level string (throws std::invalid_argument on an unknown level).
void setup(std::string_view lvl);
/// Tests: sends lines to `sink` instead of stderr (nullptr restores stderr). Keeps the level.
void set_sink(spdlog::sink_ptr sink);

/// True when a line at `lvl` would be written (to skip building costly fields).
bool enabled(level lvl);

/// Writes one event line if `lvl` is enabled. Never throws.
void write(level lvl, std::string_view role, std::string_view event, fields f = {}) noexcept;

inline void trace(std::string_view role, std::string_view event, fields f = {}) noexcept {
  write(level::trace, role, event, f);
}
inline void debug(std::string_view role, std::string_view event, fields f = {}) noexcept {
  write(level::debug, role, event, f);
}
inline void info(std::string_view role, std::string_view event, fields f = {}) noexcept {
  write(level::info, role, event, f);
}
inline void warn(std::string_view role, std::string_view event, fields f = {}) noexcept {
  write(level::warn, role, event, f);
}
inline void error(std::string_view role, std::string_view event, fields f = {}) noexcept {
  write(level::err, role, event, f);
}

/// The part of a line after the level: `role=... event=... k=v ...` (exposed for tests).
std::string format_event(std::string_view role, std::string_view event, fields f);

/// Masks secrets in free text: the value of any `password=` / `PGPASSWORD=` style assignment
/// (case-insensitive; the value ends at a blank, '&', ';' or ',' or is a '...' quoted libpq
/// value), and the password of `scheme://user:password@host` URIs. Returns the text with each
/// secret replaced by `***`; text without secrets is returned unchanged.
std::string redact(std::string_view text);

} // namespace finstream::log
