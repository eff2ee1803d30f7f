// Tests of the universe file reader.
#include "sources/universe.hpp"

#include <catch2/catch.hpp>

using namespace finstream;

TEST_CASE("universe: symbols, comments, blank lines, duplicates", "[universe]") {
  const std::string text = "# my universe\n"
                           "AAPL\n"
                           "\n"
                           "  brk-b   # Berkshire\n"
                           "^GSPC\r\n"
                           "EURUSD=X\n"
                           "AAPL\n"
                           "0P000071W8.TO\n";
  auto u = parse_universe(text, "u.txt");
  CHECK(u == std::vector<std::string>{"AAPL", "BRK-B", "^GSPC", "EURUSD=X", "0P000071W8.TO"});
  CHECK(parse_universe("", "e").empty());
}

TEST_CASE("universe: a bad symbol is reported with its line", "[universe]") {
  CHECK_THROWS_WITH(parse_universe("AAPL\n# ok\nDROP TABLE\n", "u.txt"),
                    "u.txt:3: one symbol per line expected");
  CHECK_THROWS_WITH(parse_universe("AAPL\nMS;FT\n", "u.txt"), Catch::StartsWith("u.txt:2: "));
  CHECK_THROWS_WITH(parse_universe("AAPL\n\nA/B\n", "u.txt"),
                    Catch::StartsWith("u.txt:3: symbol 'A/B' contains a character"));
  CHECK_THROWS_WITH(parse_universe("ABCDEFGHIJKLMNOPQRSTUVWXYZ\n", "u.txt"),
                    Catch::StartsWith("u.txt:1: symbol"));
  CHECK_THROWS_WITH(read_universe("/nonexistent/u.txt"), Catch::Contains("cannot open"));
}
