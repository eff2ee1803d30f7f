// Recorded Yahoo chart API exchanges (test/data/yahoo-chart/*.json): loading and body extraction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace finstream::test {

/// One recorded exchange {request:{url}, response:{status, bodyJson}}. `body` is the exact text of
/// bodyJson as recorded (what Yahoo sent).
struct recording {
  std::string file;   // file name without directory
  std::string symbol; // percent-decoded from the request path
  std::string url;
  std::string interval; // request's interval parameter ("1d", "1m", ...)
  std::int64_t period1 = 0;
  std::int64_t period2 = 0;
  int status = 0;
  bool fake = false; // *.fake.json: hand-made edge case
  std::string body;
};

/// Loads one recording; throws std::runtime_error naming the file on any problem.
recording load_recording(const std::string& path);

/// %XX-decoding of a URL component (the replay server and the recordings' URLs).
std::string percent_decode(std::string_view s);

/// The decoded value of `key` in a query string `a=1&b=2` ("" when absent).
std::string query_param(std::string_view query, std::string_view key);

/// Every *.json recording of `dir`, sorted by file name.
std::vector<recording> load_recordings(const std::string& dir);

/// The repository's copy of the recorded exchanges: <source_dir>/test/data/yahoo-chart.
std::string yahoo_chart_dir();

/// Body of test/data/yahoo-chart/<file_name>.
std::string fixture_body(const std::string& file_name);

/// Replaces the first occurrence of `from` in `text` by `to`; fails the test (throws) when absent.
std::string replace_once(std::string text, const std::string& from, const std::string& to);

} // namespace finstream::test
