// libFuzzer target: indicator specs such as "rsi(14),macd(12,26,9)" (indicators/indicator_set
// parse). Input: the spec, then optionally '\n' and bytes read as bars. A parsed spec's canonical
// form parses to itself; the set runs bars, and its saved state restores.
// fuzz-sources: src/indicators/*.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/indicator_spec/*
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "indicators/indicator_set.hpp"

using namespace finstream;
using namespace finstream::indicators;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto nl = input.find('\n');
  std::string_view spec = input.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  try {
    auto set = indicator_set::parse(spec);
    fuzz::check(indicator_set::parse(set.spec()).spec() == set.spec(), "canonical spec stable");
    fuzz::check(set.output_count() == set.column_names().size(), "one column per output");
    // Bars: 1 byte each, a price walk that stays positive.
    std::vector<double> out(set.output_count());
    double price = 100;
    for (std::size_t i = 0; i < rest.size() && i < 512; ++i) {
      price *= 1.0 + (static_cast<unsigned char>(rest[i]) - 127.5) / 1000.0;
      set.update(ohlcv{price, price * 1.01, price * 0.99, price, 1000.0 + i}, out.data());
    }
    auto saved = set.save();
    auto copy = indicator_set::parse(set.spec());
    copy.restore(saved);
    fuzz::check(copy.save() == saved, "state save/restore round trip");
  } catch (const spec_error& e) {
    fuzz::check_one_line(e.what(), "spec_error is one line");
  }
  return 0;
}
