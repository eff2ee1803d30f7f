// End-to-end: finstream against the test broker's SASL_SSL listener (SASL/PLAIN over TLS with the
// broker's own CA), configured through [kafka.properties] and FINSTREAM_KAFKA_PROPERTY_*, the
// password read from a file. A wrong password is a clear error; the right one runs the pipeline;
// no password ever reaches the log.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "harness.hpp"
#include "scenario.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

std::string required(const char* name) {
  const char* v = std::getenv(name);
  INFO(name << " is not set (test/services/kafka.sh writes it into kafka.env)");
  REQUIRE((v != nullptr && *v != '\0'));
  return v;
}

/// A config file with the SASL_SSL settings in [kafka.properties] (nested and quoted keys), the
/// password in a file of its own; the username comes from the environment (see env()).
std::string write_config(const std::string& dir, const std::string& password) {
  const std::string secret = dir + "/kafka-password";
  std::ofstream{secret} << password << "\n";
  const std::string path = dir + "/finstream.toml";
  std::ofstream f{path};
  f << "[kafka.properties]\n"
    << "security.protocol = \"SASL_SSL\"\n"
    << "\"sasl.mechanism\" = \"PLAIN\"\n"
    << "\"sasl.password.file\" = \"" << secret << "\"\n"
    << "ssl.ca.location = \"" << required("FINSTREAM_TEST_KAFKA_CA") << "\"\n";
  return path;
}

std::vector<std::pair<std::string, std::string>> env() {
  return {{"FINSTREAM_KAFKA_PROPERTY_SASL_USERNAME", required("FINSTREAM_TEST_KAFKA_SASL_USER")}};
}

/// `finstream run` arguments on the SASL_SSL listener (run_args with --kafka replaced).
std::vector<std::string> sasl_args(const test_database& db, const kafka_names& k,
                                   const std::vector<std::string>& symbols,
                                   const std::string& config) {
  auto args = run_args("manager=1,agent=1,processor=1", db, k, symbols, "2019-01-01",
                       "2020-12-31", {"--exit-when-idle", "--config", config});
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--kafka") args[i + 1] = required("FINSTREAM_TEST_KAFKA_SASL");
  return args;
}

} // namespace

TEST_CASE("kafka security: a wrong SASL password is a clear error, and never logged",
          "[e2e][kafka_security]") {
  test_database db{"e2e_sasl_bad"};
  kafka_names k{"sasl_bad"};
  scratch_area area{"sasl_bad"};
  const std::string wrong = "wrong-" + required("FINSTREAM_TEST_KAFKA_SASL_PASSWORD");
  const auto config = write_config(area.path(), wrong);
  process p{sasl_args(db, k, synthetic_symbols(2), config), area.path() + "/run.log", env()};
  auto code = p.wait(120s);
  const auto log = p.log();
  INFO(log);
  REQUIRE(code);
  CHECK(*code != 0);
  // The process's own last word says why, not only librdkafka's log lines.
  CHECK(log.find("last client error: ") != std::string::npos);
  CHECK(log.find("SASL authentication error: Authentication failed") != std::string::npos);
  CHECK(log.find(wrong) == std::string::npos);
}

TEST_CASE("kafka security: SASL_SSL with the password from a file runs the pipeline",
          "[e2e][kafka_security]") {
  test_database db{"e2e_sasl"};
  kafka_names k{"sasl"};
  scratch_area area{"sasl"};
  auto dir = area.path();
  const std::string password = required("FINSTREAM_TEST_KAFKA_SASL_PASSWORD");
  const auto config = write_config(dir, password);
  auto symbols = synthetic_symbols(3);
  process p{sasl_args(db, k, symbols, config), dir + "/run.log", env()};
  auto code = p.wait(240s);
  const auto log = p.log();
  INFO(log);
  REQUIRE(code == 0);
  CHECK(log.find(password) == std::string::npos);
  CHECK(done_symbols(db) == 3);
  auto csvs = fetch_csvs(symbols, "2019-01-01", "2020-12-31", "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
