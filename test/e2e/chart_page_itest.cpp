// `finstream run` serves the chart page only when asked (--ui-port), on a listener of its own.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("run: the chart page is served only with --ui-port, apart from the operations endpoint",
          "[e2e][ui]") {
  test_database db{"ui_run"};
  kafka_names k{"ui_run"};
  scratch_area area{"ui_run"};
  const std::vector<std::string> symbols{"URA"};
  {
    process plain{
        run_args("manager=0,agent=0,processor=1", db, k, symbols, "2020-01-01", "2020-12-31"),
        area.path() + "/plain.log"};
    auto port = plain.metrics_port();
    INFO(plain.log());
    REQUIRE(port);
    CHECK(http_get(*port, "/healthz").first == 200);
    CHECK(plain.log().find("role=ui") == std::string::npos);
    plain.signal(SIGTERM);
    CHECK(plain.wait(30s) == 0);
  }
  process served{run_args("manager=0,agent=0,processor=1", db, k, symbols, "2020-01-01",
                          "2020-12-31", {"--ui-port", "0"}),
                 area.path() + "/served.log"};
  auto port = served.metrics_port();
  const auto log = served.log();
  INFO(log);
  REQUIRE(port);
  std::smatch m;
  REQUIRE(std::regex_search(
      log, m, std::regex{"role=ui event=listening url=http://127\\.0\\.0\\.1:([0-9]+)/"}));
  const int ui_port = std::stoi(m[1]);
  CHECK(ui_port != *port);
  auto [code, body] = http_get(ui_port, "/");
  CHECK(code == 200);
  CHECK(body.find("<h1>Symbols</h1>") != std::string::npos);
  CHECK(http_get(*port, "/").first == 404);          // the operations endpoint has no page
  CHECK(http_get(ui_port, "/healthz").first == 404); // and the page no probe
  served.signal(SIGTERM);
  CHECK(served.wait(30s) == 0);
}
