// Tests of the symbol checkpoint encoding.
#include <catch2/catch.hpp>

#include "engine/checkpoint.hpp"

using namespace finstream::engine;

TEST_CASE("checkpoints round-trip exactly") {
  symbol_checkpoint cp;
  cp.has_bars = true;
  cp.first_date = 14610;
  cp.last_date = 19000;
  cp.mark_split_applied(18000);
  cp.mark_split_applied(17000);
  cp.mark_split_applied(18000);
  cp.indicator_state = std::string("\0\x01state\xff", 8);
  auto back = symbol_checkpoint::decode(cp.encode());
  CHECK(back.has_bars);
  CHECK(back.first_date == 14610);
  CHECK(back.last_date == 19000);
  CHECK(back.applied_splits == std::vector<finstream::day_t>{17000, 18000});
  CHECK(back.indicator_state == cp.indicator_state);
  CHECK(back.split_applied(17000));
  CHECK_FALSE(back.split_applied(17001));
}

TEST_CASE("garbage is rejected, never misread") {
  symbol_checkpoint cp;
  cp.indicator_state = "abc";
  auto bytes = cp.encode();
  CHECK_THROWS(symbol_checkpoint::decode(""));
  CHECK_THROWS(symbol_checkpoint::decode("FSCX"));
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS(symbol_checkpoint::decode(bytes.substr(0, n)));
  CHECK_THROWS(symbol_checkpoint::decode(bytes + "x"));
  auto bad_version = bytes;
  bad_version[4] = 9;
  CHECK_THROWS_WITH(symbol_checkpoint::decode(bad_version), Catch::Contains("version"));
}
