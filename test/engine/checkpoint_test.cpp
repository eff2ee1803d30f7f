// Tests of the symbol checkpoint encoding.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

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

TEST_CASE("the revision window round-trips bit for bit and version-1 checkpoints read without one") {
  symbol_checkpoint cp;
  cp.has_bars = true;
  cp.first_date = 100;
  cp.last_date = 102;
  for (finstream::day_t d = 101; d <= 102; ++d) {
    symbol_checkpoint::window_entry w;
    w.b.date = d;
    w.b.open = 1.5;
    w.b.high = 2.25;
    w.b.low = 0.1;
    w.b.close = 1.0 / 3.0;
    w.b.adj_close = std::numeric_limits<double>::quiet_NaN();
    w.b.volume = 123456789012LL + d;
    w.state_before = std::string("st\0x", 4) + std::to_string(d);
    cp.window.push_back(w);
  }
  cp.indicator_state = "now";
  auto bytes = cp.encode();
  auto back = symbol_checkpoint::decode(bytes);
  REQUIRE(back.window.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(back.window[i].b.date == cp.window[i].b.date);
    CHECK(back.window[i].b.close == cp.window[i].b.close);
    CHECK(std::isnan(back.window[i].b.adj_close));
    CHECK(back.window[i].b.volume == cp.window[i].b.volume);
    CHECK(back.window[i].state_before == cp.window[i].state_before);
  }
  CHECK(back.indicator_state == "now");
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS(symbol_checkpoint::decode(bytes.substr(0, n)));
  // Entries out of date order are corrupt.
  std::swap(cp.window[0], cp.window[1]);
  CHECK_THROWS(symbol_checkpoint::decode(cp.encode()));

  // Version 1 (before the window): the same layout without the window's count.
  symbol_checkpoint old;
  old.has_bars = true;
  old.first_date = 5;
  old.last_date = 9;
  old.indicator_state = "state";
  auto v3 = old.encode();
  const std::size_t count_at = 4 + 1 + 1 + 4 + 4 + 4; // magic, version, flag, dates, splits
  // Version 3 has the generation and the extension's flag byte after the window; version 2
  // ends the window there.
  std::string v1 = v3.substr(0, count_at) + v3.substr(count_at + 4 + 8 + 1);
  v1[4] = 1;
  auto read = symbol_checkpoint::decode(v1);
  CHECK(read.last_date == 9);
  CHECK(read.window.empty());
  CHECK_FALSE(read.ext.has_value());
  CHECK(read.indicator_state == "state");
  std::string v2 = v3.substr(0, count_at + 4) + v3.substr(count_at + 4 + 8 + 1);
  v2[4] = 2;
  auto read2 = symbol_checkpoint::decode(v2);
  CHECK(read2.last_date == 9);
  CHECK_FALSE(read2.ext.has_value());
  CHECK(read2.indicator_state == "state");
}

TEST_CASE("an extension in progress round-trips, and a version-2 reader's bytes stay readable") {
  symbol_checkpoint cp;
  cp.has_bars = true;
  cp.first_date = 100;
  cp.last_date = 5000;
  cp.ext = symbol_checkpoint::extension{2000, 1500, std::string("e\0xt", 4)};
  cp.generation = 1'796'688'413'551;
  cp.indicator_state = "main";
  auto bytes = cp.encode();
  CHECK(bytes[4] == 3);
  auto back = symbol_checkpoint::decode(bytes);
  REQUIRE(back.ext.has_value());
  CHECK(back.ext->resume_at == 2000);
  CHECK(back.ext->last == 1500);
  CHECK(back.ext->state == cp.ext->state);
  CHECK(back.generation == cp.generation);
  CHECK(back.indicator_state == "main");
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS(symbol_checkpoint::decode(bytes.substr(0, n)));
  // An extension whose last bar is not before where it resumes is corrupt.
  cp.ext->last = 2000;
  CHECK_THROWS(symbol_checkpoint::decode(cp.encode()));
  cp.ext->last = 0; // none yet: fine
  CHECK(symbol_checkpoint::decode(cp.encode()).ext->last == 0);
}
