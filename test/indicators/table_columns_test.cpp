// Tests of the stored column names of indicator outputs: the original columns for the default
// set's items, parameter-named columns for every other configured output.
#include <catch2/catch.hpp>

#include "core/indicator_row.hpp"
#include "core/hash.hpp"
#include "indicators/table_columns.hpp"

using namespace finstream;
using namespace finstream::indicators;

TEST_CASE("the default set's outputs keep the columns migration 1 created, in order") {
  CHECK(table_columns(indicator_set::default_set()) == default_indicator_columns());
}

TEST_CASE("other parameters and other indicators get columns named by their parameters") {
  auto set = indicator_set::parse("rsi(14),macd(12,26,9),sma(50),sma(200),rsi(7),bbands(20,3),"
                                  "macd(5,35,5),obv,mom(10),adx(14)");
  CHECK(table_columns(set) ==
        std::vector<std::string>{"rsi", "macd", "macd_signal", "macd_hist", "sma_50", "sma_200",
                                 "rsi_7", "bb_upper_20_3", "bb_middle_20_3", "bb_lower_20_3",
                                 "macd_5_35_5", "macd_signal_5_35_5", "macd_hist_5_35_5", "obv",
                                 "mom_10", "adx", "plus_di", "minus_di"});
  CHECK(table_columns(set, 4) == std::vector<std::string>{"rsi_7"});
  // A default item keeps its bare name in any position and next to other parameters.
  CHECK(table_columns(indicator_set::parse("sma(50),bbands(20,2)")) ==
        std::vector<std::string>{"sma_50", "bb_upper", "bb_middle", "bb_lower"});
}

TEST_CASE("a parameter that cannot be part of a column name is refused") {
  CHECK_THROWS_AS(table_columns(indicator_set::parse("bbands(20,2.5)")), spec_error);
}

TEST_CASE("state saved by a set restores the indicators another set shares with it") {
  std::vector<ohlcv> bars;
  for (int i = 0; i < 80; ++i)
    bars.push_back({10.0 + i % 7, 12.0 + i % 5, 9.0 - i % 3, 11.0 + (i * 7) % 9, 1000.0 + i});
  auto a = indicator_set::parse("rsi(14),sma(50),ema(10)");
  std::vector<double> out(8);
  for (int i = 0; i < 60; ++i)
    a.update(bars[i], out.data());
  auto b = indicator_set::parse("ema(10),sma(200),rsi(14)");
  CHECK(b.restore_available(a.save()) == std::vector<std::size_t>{1});
  CHECK(b.bars_seen() == 60);
  CHECK_THROWS_AS(b.restore(a.save()), state_error); // strict: other indicators
  // Shared indicators continue exactly; the missing one started from nothing.
  auto part = b.subset({1});
  auto alone = indicator_set::parse("sma(200)");
  CHECK(part.spec() == alone.spec());
  b.adopt(part, {1});
  std::vector<double> ob(3), oa(3);
  for (int i = 60; i < 80; ++i) {
    b.update(bars[i], ob.data());
    a.update(bars[i], oa.data());
    CHECK(ob[0] == oa[2]);
    CHECK(ob[2] == oa[0]);
  }
  CHECK_THROWS_AS(b.adopt(alone, {0}), std::invalid_argument);
}

TEST_CASE("state saved in format 1 (one spec for the whole set) still restores per indicator") {
  auto set = indicator_set::default_set();
  // Format 1: magic, format, algorithm, spec, bars, count, states, checksum.
  std::string v1("FSIS", 4);
  state_writer w(v1);
  w.put_u32(1);
  w.put_u32(indicator_set::algorithm_version);
  w.put_bytes(set.spec());
  w.put_u64(0);
  w.put_u32(static_cast<std::uint32_t>(set.items().size()));
  for (std::size_t i = 0; i < set.items().size(); ++i) {
    std::string one;
    state_writer iw(one);
    set.at(i).save(iw);
    w.put_bytes(one);
  }
  w.put_u64(fnv1a64(v1));
  auto bigger = indicator_set::parse(std::string{set.spec()} + ",sma(200)");
  CHECK(bigger.restore_available(v1) == std::vector<std::size_t>{12});
  CHECK_NOTHROW(set.restore(v1));
}
