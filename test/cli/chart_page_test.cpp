// Tests of the chart page's options (ui.*) in local and run, and of its fallback to a free port.
#include <catch2/catch.hpp>

#include "cli/chart_page.hpp"

using namespace finstream;
using namespace finstream::cli;

namespace {

settings with(std::initializer_list<std::pair<const char*, const char*>> values) {
  settings s;
  for (const auto& d : option_table())
    s.set(d.key, d.default_value, "default");
  for (const auto& [k, v] : values)
    s.set(k, v, "flag");
  return s;
}

} // namespace

TEST_CASE("chart page options: on by default in local (8080, loopback), off in run unless asked") {
  auto local = plan_chart_page(with({}), true);
  REQUIRE(local);
  CHECK(local->options.port == 8080);
  CHECK(local->options.address == "127.0.0.1");
  CHECK(local->any_port_if_taken);
  CHECK(local->options.app.limits.statement_timeout == std::chrono::milliseconds{5000});
  CHECK_FALSE(plan_chart_page(with({}), false));
  auto run =
      plan_chart_page(with({{"ui.port", "9000"}, {"ui.statement_timeout_ms", "250"}}), false);
  REQUIRE(run);
  CHECK(run->options.port == 9000);
  CHECK_FALSE(run->any_port_if_taken);
  CHECK(run->options.app.limits.statement_timeout == std::chrono::milliseconds{250});
  CHECK_FALSE(plan_chart_page(with({{"ui.port", "-1"}}), true));
  CHECK(plan_chart_page(with({{"ui.port", "0"}}), false)->options.port == 0);
  CHECK_THROWS_AS(plan_chart_page(with({{"ui.port", "70000"}}), true), std::invalid_argument);
  CHECK_THROWS_AS(plan_chart_page(with({{"ui.port", "http"}}), true), std::invalid_argument);
  CHECK_THROWS_AS(plan_chart_page(with({{"ui.statement_timeout_ms", "0"}}), true),
                  std::invalid_argument);
}

TEST_CASE("chart page: a taken default port falls back to a free one, a taken chosen port turns it off") {
  auto first = start_chart_page(plan_chart_page(with({{"ui.port", "0"}}), false), "");
  REQUIRE(first);
  const auto taken = std::to_string(first->port());
  auto plan = plan_chart_page(with({{"ui.port", taken.c_str()}}), false);
  CHECK_FALSE(start_chart_page(plan, ""));
  plan->any_port_if_taken = true; // as for local's default port
  auto second = start_chart_page(plan, "");
  REQUIRE(second);
  CHECK(second->port() != first->port());
  CHECK_FALSE(start_chart_page(std::nullopt, ""));
}
