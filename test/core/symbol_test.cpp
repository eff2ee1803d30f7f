// Tests of symbol validation: real Yahoo symbols pass, anything else is rejected with a reason.
#include <catch2/catch.hpp>

#include "core/symbol.hpp"

using namespace finstream;

TEST_CASE("real Yahoo symbols are valid") {
  for (const char* s : {"AAPL", "BRK-B", "^GSPC", "EURUSD=X", "GC=F", "0P000071W8.TO", "BTC-USD",
                        "WSKT.JK", "OCDO.L", "ORSTED.CO", "A"})
    CHECK(is_valid_symbol(s));
}

TEST_CASE("symbols outside the character set or length are rejected with a reason") {
  CHECK(symbol_error("")->find("empty") != std::string::npos);
  CHECK(symbol_error("AAPL'; DROP TABLE x;--")->find("character") != std::string::npos);
  CHECK(symbol_error("aapl"));
  CHECK(symbol_error("A/B"));
  CHECK(symbol_error("A B"));
  CHECK(symbol_error("-AB"));
  CHECK(symbol_error(".AB"));
  CHECK(symbol_error("A%20B"));
  CHECK(symbol_error("A\nB"));
  CHECK(symbol_error(std::string(25, 'A'))->find("longer") != std::string::npos);
  CHECK_FALSE(symbol_error(std::string(24, 'A')));
}

TEST_CASE("normalize_symbol upper-cases and trims") {
  CHECK(normalize_symbol("  brk-b \n") == "BRK-B");
  CHECK(normalize_symbol("   ").empty());
}

TEST_CASE("require_valid_symbol throws with its context and the reason") {
  CHECK_NOTHROW(require_valid_symbol("BRK-B", "pg"));
  CHECK_THROWS_WITH(require_valid_symbol("A'B", "pg"), Catch::StartsWith("pg: invalid symbol:"));
}
