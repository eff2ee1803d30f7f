// Tests of the readiness set: failing names, duplicates, exceptions, handle lifetimes.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "http/readiness.hpp"

using finstream::http::check_handle;
using finstream::http::readiness;

TEST_CASE("failing() lists failing check names sorted and unique") {
  readiness r;
  CHECK(r.failing().empty());
  bool pg = false;
  auto a = r.add("postgres", [&] { return pg; });
  auto b = r.add("postgres", [] { return false; });
  auto c = r.add("kafka", [] { return false; });
  auto d = r.add("leader", [] { return true; });
  CHECK(r.size() == 4);
  CHECK(r.failing() == std::vector<std::string>{"kafka", "postgres"});
  b.reset();
  pg = true;
  CHECK(r.failing() == std::vector<std::string>{"kafka"});
  auto e = r.add("sink", []() -> bool { throw std::runtime_error("x"); });
  CHECK(r.failing() == std::vector<std::string>{"kafka", "sink"});
}

TEST_CASE("handles unregister on destruction and move") {
  readiness r;
  {
    auto h = r.add("kafka", [] { return false; });
    check_handle moved = std::move(h);
    CHECK_FALSE(h);
    CHECK(r.size() == 1);
  }
  CHECK(r.size() == 0);
  CHECK(r.failing().empty());
}

TEST_CASE("bad check names are rejected") {
  readiness r;
  CHECK_THROWS_AS(r.add("", [] { return true; }), std::invalid_argument);
  CHECK_THROWS_AS(r.add("a b", [] { return true; }), std::invalid_argument);
  CHECK_THROWS_AS(r.add("a,b", [] { return true; }), std::invalid_argument);
  CHECK_THROWS_AS(r.add("ok", nullptr), std::invalid_argument);
}
