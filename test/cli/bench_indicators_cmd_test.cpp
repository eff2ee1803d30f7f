// `finstream bench indicators`: runs the built binary and checks its output contract (the last
// line is bars_per_s=<number>) and its argument checking. The speed itself is measured by running
// the benchmark (test/golden/bench_talib.sh), not asserted by a test.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <string>

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

TEST_CASE("bench indicators rejects bad arguments with exit 2", "[cli][bench]") {
  std::string out;
  CHECK(run_bench({"--bars", "0"}, out) == 2);
  CHECK(run_bench({"--bars", "abc"}, out) == 2);
  CHECK(run_bench({"--nope"}, out) == 2);
}

} // namespace finstream::test
