// Unit tests of the connection helpers that need no server: parameters, array literals, and
// connection errors that must not leak the DSN's password.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>

#include "pg/connection.hpp"

using namespace finstream;

TEST_CASE("param_of renders numbers, booleans, NULL and optionals as PostgreSQL text",
          "[pg][connection]") {
  CHECK(*pg::param_of(42) == "42");
  CHECK(*pg::param_of(std::int64_t{-9000000000}) == "-9000000000");
  CHECK(*pg::param_of(0.1) == "0.1");
  CHECK(*pg::param_of(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(*pg::param_of(std::nan("")) == "NaN");
  CHECK(*pg::param_of(true) == "t");
  CHECK_FALSE(pg::param_of(std::nullopt));
  CHECK_FALSE(pg::param_of(std::optional<std::int64_t>{}));
  CHECK(*pg::param_of(std::optional<std::int64_t>{7}) == "7");
}

TEST_CASE("array_literal quotes every element and escapes quotes and backslashes",
          "[pg][connection]") {
  CHECK(pg::array_literal({}) == "{}");
  CHECK(pg::array_literal({std::string{"a"}, std::nullopt, std::string{"b,c"}}) ==
        R"({"a",NULL,"b,c"})");
  CHECK(pg::array_literal({std::string{R"(say "hi" \o/)"}}) == R"({"say \"hi\" \\o/"})");
  CHECK(pg::array_of(std::vector<int>{1, 2}) == R"({"1","2"})");
}

TEST_CASE("a failed connection reports the redacted DSN, never the password", "[pg][connection]") {
  pg::reconnect_policy once;
  once.give_up_after = std::chrono::milliseconds{0};
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const std::string dsn = "postgresql://finstream:SuperSecret42@127.0.0.1:1/x";
  try {
    pg::connection c{dsn, once};
    FAIL("connected to a closed port");
  } catch (const pg::pg_error& e) {
    const std::string msg = e.what();
    CHECK(e.connection_lost());
    CHECK(msg.find("SuperSecret42") == std::string::npos);
    CHECK(msg.find("password=***") != std::string::npos);
    CHECK(msg.find("127.0.0.1") != std::string::npos);
  }
  try {
    pg::connection c{"host=h password='SuperSecret42", once};
    FAIL("accepted an unparsable DSN");
  } catch (const pg::pg_error& e) {
    CHECK(std::string{e.what()}.find("SuperSecret42") == std::string::npos);
    CHECK(e.kind() == pg::error_kind::other);
  }
}
