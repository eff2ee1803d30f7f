// Tests of the plumbing shared by `local` and `run`: the universe (reloaded when its file changes)
// and option validation, the chart page's options.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <thread>

#include "cli/chart_page.hpp"
#include "cli/common.hpp"
#include "support/env.hpp"

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

TEST_CASE("the universe file is re-read when it changes, a broken edit keeps the last good list") {
  auto path = "/tmp/" + finstream::test::unique_name("universe") + ".txt";
  std::ofstream{path} << "AAPL\nMSFT # comment\n";
  auto universe = make_universe(with({{"universe.file", path.c_str()}}));
  CHECK(universe() == std::vector<std::string>{"AAPL", "MSFT"});
  std::this_thread::sleep_for(std::chrono::milliseconds{20}); // a distinct modification time
  std::ofstream{path} << "AAPL\nMSFT\nnvda\n";
  CHECK(universe() == std::vector<std::string>{"AAPL", "MSFT", "NVDA"});
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  std::ofstream{path} << "AAPL\nnot a symbol!\n";
  CHECK(universe() == std::vector<std::string>{"AAPL", "MSFT", "NVDA"});
  std::remove(path.c_str());
}

TEST_CASE("symbols given with --symbols are normalised, de-duplicated and validated, both sources "
          "at once is an error") {
  CHECK(make_universe(with({{"universe.symbols", " aapl,MSFT,,AAPL "}}))() ==
        std::vector<std::string>{"AAPL", "MSFT"});
  CHECK_THROWS_WITH(make_universe(with({{"universe.symbols", "AAPL,BAD/ONE"}})),
                    Catch::Contains("character"));
  CHECK_THROWS_WITH(make_universe(with({{"universe.symbols", "AAPL"}, {"universe.file", "/x"}})),
                    Catch::Contains("not both"));
  CHECK_THROWS_WITH(make_universe(with({})), Catch::Contains("no symbols"));
  CHECK(make_universe(with({}), {"SPY"})() == std::vector<std::string>{"SPY"});
}

TEST_CASE("bad dates, schedules and time zones are clear errors") {
  CHECK_THROWS_WITH(make_manager_options(with({{"range.from", "2020-13-01"}})),
                    Catch::Contains("--from"));
  CHECK_THROWS_WITH(
      make_manager_options(with({{"range.from", "2020-01-01"}, {"range.to", "2019-01-01"}})),
      Catch::Contains("before --from"));
  CHECK_THROWS_WITH(make_manager_options(with({{"manager.schedule", "25:00"}})),
                    Catch::Contains("--schedule"));
  CHECK_THROWS(make_manager_options(with({{"manager.timezone", "Mars/Base"}})));
  auto o = make_manager_options(with({{"range.from", "2001-02-03"}, {"range.to", "2002-03-04"}}));
  CHECK(o.from == *finstream::parse_date("2001-02-03"));
  CHECK(o.to == finstream::parse_date("2002-03-04"));
}

TEST_CASE("kafka properties: a name ending in .file is a secret read from that file, never echoed") {
  const auto secret = "/tmp/" + finstream::test::unique_name("secret");
  std::ofstream{secret} << "s3cr3t-Pw\n";
  auto s = with({});
  s.set("kafka.properties.security.protocol", "SASL_SSL", "file");
  s.set("kafka.properties.sasl.password", "given-directly", "file");
  s.set("kafka.properties.sasl.password.file", secret, "env");
  const auto props = kafka_properties(s);
  std::remove(secret.c_str());
  REQUIRE(props.size() == 3);
  // Applied in order, later winning: the file's content is the password librdkafka gets.
  CHECK(props[0] == finstream::kafka::property{"sasl.password", "given-directly"});
  CHECK(props[1] == finstream::kafka::property{"sasl.password", "s3cr3t-Pw"});
  CHECK(props[2] == finstream::kafka::property{"security.protocol", "SASL_SSL"});

  s.set("kafka.properties.sasl.password.file", secret + ".missing", "env");
  try {
    kafka_properties(s);
    FAIL("no error for a missing secret file");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()} ==
          "kafka property sasl.password: cannot read the file '" + secret + ".missing'");
  }
}

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

TEST_CASE(
    "chart page: a taken default port falls back to a free one, a taken chosen port turns it off") {
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
