// libFuzzer target: universe files (sources/universe parse_universe): every symbol kept is valid
// and unique; a rejected file gets a one-line error naming its line.
// fuzz-sources: src/sources/universe.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/universe/*
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "core/symbol.hpp"
#include "fuzz_check.hpp"
#include "sources/universe.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    auto symbols = parse_universe(text, "universe.txt");
    std::set<std::string> seen;
    for (const auto& s : symbols) {
      fuzz::check(is_valid_symbol(s), "universe symbols valid");
      fuzz::check(seen.insert(s).second, "universe symbols unique");
    }
  } catch (const universe_error& e) {
    fuzz::check_one_line(e.what(), "universe_error is one line");
    fuzz::check(std::string_view{e.what()}.rfind("universe.txt:", 0) == 0,
                "universe_error names the file");
  }
  return 0;
}
