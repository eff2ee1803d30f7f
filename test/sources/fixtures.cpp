// Paths of the repository's recorded Yahoo exchanges (kept apart from recording.cpp so that the
// standalone yahoo_replay tool does not link the Catch2-based test environment).
#include "sources/recording.hpp"
#include "support/env.hpp"

namespace finstream::test {

std::string yahoo_chart_dir() {
  return source_dir() + "/test/data/yahoo-chart";
}

std::string fixture_body(const std::string& file_name) {
  return load_recording(yahoo_chart_dir() + "/" + file_name).body;
}

} // namespace finstream::test
