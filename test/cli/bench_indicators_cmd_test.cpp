// `finstream bench indicators`: runs the built binary and checks its output contract (the last
// line is bars_per_s=<number>) and its argument checking. The speed itself is measured by running
// the benchmark (test/golden/bench_talib.sh), not asserted by a test.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "indicators/indicator_set.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

namespace finstream::test {
namespace {

int run_bench(const std::vector<std::string>& args, std::string& out) {
  std::vector<std::string> all{"indicators"};
  all.insert(all.end(), args.begin(), args.end());
  auto r = run_binary("bench", all);
  out = r.out;
  return r.code;
}

} // namespace

TEST_CASE("bench indicators prints bars_per_s as its last line", "[cli][bench]") {
  std::string out;
  REQUIRE(run_bench({"--bars", "20000", "--runs", "1"}, out) == 0);
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  const auto start = out.rfind('\n', out.size() - 2) + 1;
  const std::string last = out.substr(start, out.size() - 1 - start);
  REQUIRE(last.rfind("bars_per_s=", 0) == 0);
  const double rate = std::stod(last.substr(11));
  CHECK(rate > 0);
  CHECK(out.find("bars=20000") != std::string::npos);
  CHECK(out.find("indicators=rsi(14),macd(12,26,9),") != std::string::npos);
}

TEST_CASE("bench indicators prints a figure for each indicator of the default set alone",
          "[cli][bench]") {
  std::string out;
  REQUIRE(run_bench({"--bars", "5000", "--runs", "1"}, out) == 0);
  const auto set = indicators::indicator_set::default_set();
  std::size_t lines = 0;
  for (auto at = out.find("\nindicator "); at != std::string::npos;
       at = out.find("\nindicator ", at + 1))
    ++lines;
  CHECK(lines == set.items().size());
  for (const auto& item : set.items()) {
    const indicators::indicator_set one{std::vector<indicators::indicator_spec>{item}};
    INFO(one.spec());
    const auto at = out.find("\nindicator " + one.spec() + " ");
    REQUIRE(at != std::string::npos);
    const auto eq = out.find("ns_per_bar=", at);
    REQUIRE(eq != std::string::npos);
    CHECK(std::stod(out.substr(eq + 11)) > 0);
  }
}

TEST_CASE("bench indicators rejects bad arguments with exit 2", "[cli][bench]") {
  std::string out;
  CHECK(run_bench({"--bars", "0"}, out) == 2);
  CHECK(run_bench({"--bars", "abc"}, out) == 2);
  CHECK(run_bench({"--nope"}, out) == 2);
}

} // namespace finstream::test
