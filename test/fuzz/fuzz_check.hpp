// Helpers shared by the libFuzzer targets: a property check that aborts (libFuzzer then saves the
// input as a crash) and the invariants every parser's output must keep.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/bar.hpp"

namespace finstream::fuzz {

/// Aborts with `what` when `ok` is false: a broken contract is a finding like a crash.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

/// A one-line message: non-empty, no control character (errors end up in logs and headers).
inline void check_one_line(std::string_view msg, const char* what) {
  check(!msg.empty(), what);
  for (char c : msg)
    check(c != '\n' && c != '\r', what);
}

/// Bars as every reader promises them: dates strictly ascending, prices finite and > 0,
/// volume >= 0.
inline void check_bars(const std::vector<bar>& bars) {
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    if (i > 0) check(bars[i - 1].date < b.date, "bar dates strictly ascending");
    for (double p : {b.open, b.high, b.low, b.close})
      check(std::isfinite(p) && p > 0, "bar prices finite and > 0");
    // A broken adjusted close keeps its bar as NaN (stored as NULL); any other value is a price.
    check(std::isnan(b.adj_close) || (std::isfinite(b.adj_close) && b.adj_close > 0),
          "bar adj_close NaN or finite and > 0");
    check(b.volume >= 0, "bar volume >= 0");
  }
}

/// Reads `key` through every typed accessor of `s` (cli::settings): each either succeeds or throws
/// std::invalid_argument with a one-line message.
template <class Settings>
void check_typed_accessors(const Settings& s, const std::string& key) {
  try {
    (void)s.integer(key);
  } catch (const std::invalid_argument& e) {
    check_one_line(e.what(), "integer error is one line");
  }
  try {
    (void)s.number(key);
  } catch (const std::invalid_argument& e) {
    check_one_line(e.what(), "number error is one line");
  }
  try {
    (void)s.flag(key);
  } catch (const std::invalid_argument& e) {
    check_one_line(e.what(), "flag error is one line");
  }
}

} // namespace finstream::fuzz
