// The registry against what is kept beside it by hand: docs/indicators.md's table of available
// indicators lists every registered one, with its parameters' defaults and its outputs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "indicators/registry.hpp"

namespace finstream::test {

TEST_CASE("docs/indicators.md lists every registered indicator with its defaults and outputs",
          "[indicators][registry]") {
  std::ifstream in{std::string{FINSTREAM_SOURCE_DIR} + "/docs/indicators.md"};
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = text.str();
  std::size_t rows = 0;
  for (auto pos = doc.find("\n| `"); pos != std::string::npos; pos = doc.find("\n| `", pos + 1))
    ++rows;
  for (const auto& info : indicators::registry()) {
    // | `macd(fast=12,slow=26,signal=9)` | macd, macd_signal, macd_hist |
    std::string spec = info.name;
    for (std::size_t i = 0; i < info.params.size(); ++i) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", info.params[i].default_value);
      spec += (i ? "," : "(") + std::string{info.params[i].name} + "=" + value;
    }
    if (!info.params.empty()) spec += ")";
    std::string outputs;
    for (const char* o : info.outputs)
      outputs += (outputs.empty() ? "" : ", ") + std::string{o};
    const std::string row = "\n| `" + spec + "` | " + outputs + " | ";
    INFO(row);
    CHECK(doc.find(row) != std::string::npos);
  }
  CHECK(rows == indicators::registry().size());
}

} // namespace finstream::test
