// indicator_set and the registry: spec parsing and its errors, column naming, the default set's
// agreement with the database columns, and rejection of bad saved state.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "core/indicator_row.hpp"
#include "indicators/indicator_set.hpp"
#include "indicators/registry.hpp"
#include "indicators/rsi.hpp"
#include "indicators/stoch.hpp"

namespace finstream::test {
namespace {

using namespace finstream::indicators;

std::vector<ohlcv> walk(std::size_t n, unsigned seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0, 0.01);
  std::vector<ohlcv> out;
  double c = 100;
  for (std::size_t i = 0; i < n; ++i) {
    double o = c;
    c = o * std::exp(step(rng));
    out.push_back({o, std::max(o, c) * 1.004, std::min(o, c) * 0.996, c,
                   static_cast<double>(1000 + rng() % 100000)});
  }
  return out;
}

std::string error_of(const std::string& spec) {
  try {
    indicator_set::parse(spec);
  } catch (const spec_error& e) {
    return e.what();
  }
  return "";
}

// Same checksum as indicator_set.cpp, to forge states whose only defect is their content.
std::uint64_t fnv(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}
std::string with_checksum(std::string body) {
  std::uint64_t h = fnv(body);
  for (int i = 0; i < 8; ++i)
    body.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  return body;
}

} // namespace

TEST_CASE("the default set's outputs are the database's indicator columns, in order",
          "[indicators][set]") {
  auto set = indicator_set::default_set();
  REQUIRE(set.output_count() == indicator_column_count);
  for (std::size_t i = 0; i < indicator_column_count; ++i)
    CHECK(set.output_names()[i] == indicator_columns[i]);
  const std::vector<std::string> expected = {"rsi_14",
                                             "macd_12_26_9",
                                             "macd_signal_12_26_9",
                                             "macd_hist_12_26_9",
                                             "sma_20",
                                             "ema_20",
                                             "bb_upper_20_2",
                                             "bb_middle_20_2",
                                             "bb_lower_20_2",
                                             "atr_14",
                                             "stoch_k_14_3_3",
                                             "stoch_d_14_3_3",
                                             "obv",
                                             "adx_14",
                                             "plus_di_14",
                                             "minus_di_14",
                                             "cci_20",
                                             "willr_14",
                                             "mfi_14"};
  CHECK(set.column_names() == expected);
  CHECK(set.spec() == indicator_set::default_spec());
}

TEST_CASE("specs: defaults, spacing, case and canonical form", "[indicators][set]") {
  auto a = indicator_set::parse(" RSI ( 14 ) , macd(12,26,9),bbands(20,2)");
  CHECK(a.spec() == "rsi(14),macd(12,26,9),bbands(20,2)");
  CHECK(a.column_names() == std::vector<std::string>{"rsi_14", "macd_12_26_9",
                                                     "macd_signal_12_26_9", "macd_hist_12_26_9",
                                                     "bb_upper_20_2", "bb_middle_20_2",
                                                     "bb_lower_20_2"});
  // Omitted parameters take their defaults; "obv" and "obv()" are the same.
  CHECK(indicator_set::parse("macd(5)").spec() == "macd(5,26,9)");
  CHECK(indicator_set::parse("rsi,obv()").spec() == "rsi(14),obv");
  CHECK(indicator_set::parse("bbands(10,1.5)").column_names()[0] == "bb_upper_10_1.5");
  CHECK(indicator_set::parse("rsi(14.0)").spec() == "rsi(14)");
  // Two configurations of one indicator are fine; the same column twice is not.
  CHECK(indicator_set::parse("rsi(14),rsi(7)").output_count() == 2);
  CHECK_THAT(error_of("rsi(14),rsi"), Catch::Contains("rsi_14") && Catch::Contains("twice"));
  // The canonical spec parses back to itself.
  auto b = indicator_set::parse(a.spec());
  CHECK(b.spec() == a.spec());
}

TEST_CASE("spec errors name the problem and list the known indicators", "[indicators][set]") {
  for (const char* bad :
       {"", "  ", "foo(3)", "rsi(", "rsi(14", "rsi(14,)", "rsi(a)", "rsi)", "rsi(14) x", ",rsi",
        "rsi,,macd", "rsi(1)", "rsi(2.5)", "macd(12,26,9,4)", "sma(100001)", "bbands(20,inf)",
        "rsi(-3)", "macd(12,26,1)", "rsi(nan)"}) {
    INFO("spec '" << bad << "'");
    const std::string what = error_of(bad);
    CHECK_THAT(what, Catch::Contains("known indicators: rsi(period=14), macd(fast=12,slow=26,"
                                     "signal=9)") &&
                         Catch::Contains("obv") && Catch::Contains("mfi(period=14)"));
    CHECK(what.find('\n') == std::string::npos);
  }
  CHECK_THAT(error_of("foo(3)"), Catch::StartsWith("unknown indicator 'foo'"));
  CHECK_THAT(error_of("rsi(1)"), Catch::Contains("period must be in [2, 100000], got 1"));
  CHECK_THAT(error_of("rsi(2.5)"), Catch::Contains("whole number"));
  CHECK_THAT(error_of("macd(12,26,9,4)"), Catch::Contains("takes 3 parameter(s), got 4"));
}

TEST_CASE("registry entries are consistent with the indicators they build", "[indicators][set]") {
  for (const auto& info : registry()) {
    INFO(info.name);
    std::vector<double> defaults;
    for (const auto& p : info.params) {
      defaults.push_back(p.default_value);
      CHECK(p.min <= p.default_value);
      CHECK(p.default_value <= p.max);
    }
    auto ind = info.make(defaults);
    CHECK(ind->output_count() == info.outputs.size());
    CHECK(find_indicator(info.name) == &info);
    CHECK(ind->lookback() >= 0);
  }
  CHECK(find_indicator("nope") == nullptr);
}

TEST_CASE("the bar overload converts the volume and counts bars", "[indicators][set]") {
  auto set = indicator_set::parse("obv,sma(2)");
  double out[2];
  bar b;
  b.open = b.high = b.low = b.close = 10;
  b.volume = 1234567890123;
  set.update(b, out);
  CHECK(out[0] == 1234567890123.0);
  CHECK(std::isnan(out[1]));
  set.update(b, out);
  CHECK(out[1] == 10.0);
  CHECK(set.bars_seen() == 2);
  set.reset();
  CHECK(set.bars_seen() == 0);
  set.update(b, out);
  CHECK(std::isnan(out[1]));
}

TEST_CASE("copies are independent and carry the state", "[indicators][set]") {
  auto bars = walk(300);
  auto a = indicator_set::default_set();
  std::vector<double> x(a.output_count()), y(a.output_count());
  for (std::size_t i = 0; i < 150; ++i)
    a.update(bars[i], x.data());
  indicator_set b = a;
  for (std::size_t i = 150; i < 300; ++i) {
    a.update(bars[i], x.data());
    b.update(bars[i], y.data());
    REQUIRE(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
  }
}

TEST_CASE("bad saved state is refused with state_error and leaves the set unchanged",
          "[indicators][state]") {
  auto bars = walk(100);
  auto set = indicator_set::default_set();
  std::vector<double> out(set.output_count());
  for (std::size_t i = 0; i < 60; ++i)
    set.update(bars[i], out.data());
  const std::string good = set.save();
  auto target = indicator_set::default_set();
  target.update(bars[0], out.data());
  const std::string before = target.save();

  SECTION("garbage, empty and truncated bytes") {
    std::mt19937 rng(3);
    for (int t = 0; t < 200; ++t) {
      std::string junk(rng() % 300, '\0');
      for (auto& c : junk)
        c = static_cast<char>(rng());
      CHECK_THROWS_AS(target.restore(junk), state_error);
    }
    CHECK_THROWS_AS(target.restore(""), state_error);
    for (std::size_t n : {std::size_t{4}, std::size_t{12}, good.size() / 2, good.size() - 1})
      CHECK_THROWS_AS(target.restore(good.substr(0, n)), state_error);
    std::string longer = good + "x";
    CHECK_THROWS_AS(target.restore(longer), state_error);
  }
  SECTION("every single flipped bit is detected") {
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
      CHECK_THROWS_AS(target.restore(bad), state_error);
    }
  }
  SECTION("another spec or algorithm version") {
    auto other = indicator_set::parse("rsi(14)");
    CHECK_THROWS_WITH(other.restore(good), Catch::Contains("saved for indicators"));
    std::string body = good.substr(0, good.size() - 8);
    body[8] = static_cast<char>(body[8] + 1); // algorithm version (after magic and format)
    CHECK_THROWS_WITH(target.restore(with_checksum(body)), Catch::Contains("algorithm version 2"));
  }
  SECTION("a correctly framed state that breaks an indicator's invariants") {
    // stoch(2,2,2) saved, then its rolling-high block position forged out of range.
    auto small = indicator_set::parse("stoch(2,2,2)");
    for (std::size_t i = 0; i < 5; ++i)
      small.update(bars[i], out.data());
    std::string body = small.save();
    body.resize(body.size() - 8);
    // The stoch state: count(8) | highest: block vec(4+2*8) suffix vec(4+3*8) pos(4) prefix(8) ...
    const std::size_t state_start = body.size() - ([&] {
                                      std::string s;
                                      state_writer w(s);
                                      small.at(0).save(w);
                                      return s.size();
                                    }());
    const std::size_t pos_at = state_start + 8 + 20 + 28;
    for (std::uint32_t bad_pos : {3u, 0xffffffffu, 0x80000000u}) {
      std::string forged = body;
      for (int b = 0; b < 4; ++b)
        forged[pos_at + b] = static_cast<char>((bad_pos >> (8 * b)) & 0xff);
      auto victim = indicator_set::parse("stoch(2,2,2)");
      CHECK_THROWS_WITH(victim.restore(with_checksum(forged)),
                        Catch::Contains("block extreme position"));
    }
    // A vector length that does not match the period.
    std::string forged = body;
    forged[state_start + 8] = 3;
    auto victim = indicator_set::parse("stoch(2,2,2)");
    CHECK_THROWS_AS(victim.restore(with_checksum(forged)), state_error);
  }
  CHECK(target.save() == before);
  target.restore(good);
  CHECK(target.save() == good);
}

TEST_CASE("randomly altered states that pass the checksum either restore or throw state_error",
          "[indicators][state]") {
  // Every registered indicator, in a state with full windows; bytes altered at random and the
  // checksum recomputed, so that only the indicators' own checks stand between the bytes and the
  // update code. Whatever restores must then run without fault (the sanitizer build checks this).
  // The list comes from the registry: an indicator added there is fuzzed too.
  std::string spec = indicator_set::default_spec();
  std::set<std::string> names;
  const auto defaults = indicator_set::default_set();
  for (const auto& item : defaults.items())
    names.insert(item.info->name);
  for (const auto& info : indicators::registry())
    if (names.insert(info.name).second) spec += std::string{","} + info.name;
  auto bars = walk(400, 11);
  auto set = indicator_set::parse(spec);
  REQUIRE(set.items().size() == indicators::registry().size());
  std::vector<double> out(set.output_count());
  for (std::size_t i = 0; i < 300; ++i)
    set.update(bars[i], out.data());
  std::string body = set.save();
  body.resize(body.size() - 8);
  std::mt19937 rng(9);
  std::size_t refused = 0, restored = 0;
  for (int t = 0; t < 3000; ++t) {
    std::string forged = body;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e)
      forged[rng() % forged.size()] = static_cast<char>(rng());
    auto victim = set;
    try {
      victim.restore(with_checksum(forged));
      ++restored;
    } catch (const state_error&) {
      ++refused;
      CHECK(victim.save() == set.save()); // unchanged
      continue;
    }
    for (std::size_t i = 300; i < 400; ++i)
      victim.update(bars[i], out.data());
  }
  CHECK(refused > 0);
  CHECK(restored > 0);
}

TEST_CASE("single indicators expose their state struct and refuse invalid ones",
          "[indicators][state]") {
  rsi r(14);
  auto bars = walk(40);
  double out;
  for (const auto& b : bars)
    r.update(b, &out);
  rsi_state s = r.state();
  CHECK(s.count == 40);
  rsi copy(14);
  copy.set_state(s);
  double a, b;
  r.update(bars[0], &a);
  copy.update(bars[0], &b);
  CHECK(std::memcmp(&a, &b, sizeof a) == 0);
  s.count = -1;
  CHECK_THROWS_AS(copy.set_state(s), state_error);

  stoch st(5, 3, 3);
  stoch_state bad = st.state();
  bad.slow_k.ring.resize(2);
  CHECK_THROWS_AS(st.set_state(bad), state_error);
}

TEST_CASE("parameters out of TA-Lib's ranges are refused by the constructors",
          "[indicators][set]") {
  CHECK_THROWS_AS(rsi(1), std::invalid_argument);
  CHECK_THROWS_AS(stoch(0, 3, 3), std::invalid_argument);
  CHECK_NOTHROW(stoch(1, 1, 1));
}

} // namespace finstream::test
