// Test helper: loads the committed TA-Lib golden values (test/data/golden) and their input series.
#pragma once

#include <string>
#include <vector>

#include "indicators/indicator.hpp"

namespace finstream::test {

/// A plain `date,open,high,low,close,volume` input series.
struct input_series {
  std::vector<std::string> dates;
  std::vector<indicators::ohlcv> bars;
};

/// A golden CSV: `date,<column>...`, NaN where TA-Lib gives no value.
struct golden_table {
  std::vector<std::string> columns; // without "date"
  std::vector<std::string> dates;
  std::vector<std::vector<double>> rows; // rows[bar][column]
  /// Index of `column`, or -1.
  int find(const std::string& column) const;
};

/// One line of test/data/golden/manifest.txt.
struct golden_entry {
  std::string input; // test/data/indicators/inputs/<input>.csv
  std::string set;   // test/data/golden/<input>.<set>.csv
  std::string spec;
};

const std::vector<golden_entry>& golden_manifest();
const input_series& load_input(const std::string& name);
const golden_table& load_golden(const golden_entry& e);

/// Bit-identical, NaN equal to NaN (any NaN payload).
bool same_bits(double a, double b);
/// TA-Lib agreement: bit equality (same_bits). The golden files hold TA-Lib's doubles in %.17g,
/// which reads back to the same bits, and every finstream value must be exactly that double; no
/// tolerance (a relative one lets a zero pass for a tiny price).
inline bool golden_equal(double actual, double expected) {
  return same_bits(actual, expected);
}

} // namespace finstream::test
