// Tests of the mapping from indicator specs to stored columns (the original schema's bare columns
// and columns named by their parameters) and of the names shown for stored columns.
#include <catch2/catch.hpp>

#include "ui/stored_columns.hpp"

using namespace finstream;
using namespace finstream::ui;

namespace {

std::vector<std::string> columns_of(const std::vector<resolved_column>& r) {
  std::vector<std::string> out;
  for (const auto& c : r)
    out.push_back(c.name + "=" + c.column);
  return out;
}

const std::vector<std::string> original = {
    "rsi",       "macd",     "macd_signal", "macd_hist", "sma",     "ema", "bb_upper",
    "bb_middle", "bb_lower", "atr",         "stoch_k",   "stoch_d", "obv", "adx",
    "plus_di",   "minus_di", "cci",         "willr",     "mfi"};

} // namespace

TEST_CASE("stored columns: the default set's outputs map to the original schema's columns") {
  auto r = resolve_columns(indicators::indicator_set::parse("rsi,macd(12,26,9),obv"), original);
  CHECK(columns_of(r) == std::vector<std::string>{"rsi_14=rsi", "macd_12_26_9=macd",
                                                  "macd_signal_12_26_9=macd_signal",
                                                  "macd_hist_12_26_9=macd_hist", "obv=obv"});
  auto all = resolve_columns(indicators::indicator_set::default_set(), original);
  CHECK(all.size() == original.size());
}

TEST_CASE("stored columns: other parameters need a column named by them") {
  auto stored = original;
  stored.push_back("sma_50");
  stored.push_back("rsi_7");
  auto r = resolve_columns(indicators::indicator_set::parse("sma(50),rsi(7),sma(20)"), stored);
  CHECK(columns_of(r) == std::vector<std::string>{"sma_50=sma_50", "rsi_7=rsi_7", "sma_20=sma"});
  // A parameterised column wins over the bare one when both exist.
  stored.push_back("sma_20");
  CHECK(resolve_columns(indicators::indicator_set::parse("sma(20)"), stored)[0].column == "sma_20");
  try {
    resolve_columns(indicators::indicator_set::parse("rsi(14),sma(200)"), original);
    FAIL("sma(200) is not stored");
  } catch (const std::invalid_argument& e) {
    std::string what = e.what();
    CHECK(what.find("sma_200 is not stored") != std::string::npos);
    CHECK(what.find("rsi_14") != std::string::npos); // lists what is stored, by CLI names
  }
}

TEST_CASE("stored columns: display names") {
  CHECK(display_name("rsi") == "rsi_14");
  CHECK(display_name("bb_lower") == "bb_lower_20_2");
  CHECK(display_name("obv") == "obv");
  CHECK(display_name("sma_50") == "sma_50");
}
