// Tests of option merging (defaults < file < environment < flags) and of config/finstream.toml.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "cli/settings.hpp"
#include "support/env.hpp"

using namespace finstream::cli;

namespace {

settings parse(std::vector<std::string> args, const std::vector<std::string>& keys) {
  CLI::App app{"test"};
  option_binder binder{app, keys};
  std::vector<char*> argv{const_cast<char*>("finstream run")};
  for (auto& a : args)
    argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return binder.resolve();
}

} // namespace

TEST_CASE("config/finstream.toml documents every option with its built-in default") {
  auto file = read_config_file(finstream::test::source_dir() + "/config/finstream.toml");
  for (const auto& d : option_table()) {
    INFO(d.key);
    REQUIRE(file.count(d.key) == 1);
    auto v = file.at(d.key);
    std::string def = d.default_value;
    // Numbers may be written as TOML integers.
    CHECK(v == def);
  }
  CHECK(file.size() == option_table().size());
}

TEST_CASE("precedence: default < file < environment < flag") {
  auto path = "/tmp/" + finstream::test::unique_name("cfg") + ".toml";
  {
    std::ofstream f{path};
    f << "[kafka]\nbootstrap = \"file:1\"\ntask_topic = \"file_topic\"\n[processor]\nbatch_rows = "
         "7\n";
  }
  ::setenv("FINSTREAM_KAFKA_TASK_TOPIC", "env_topic", 1);
  ::setenv("FINSTREAM_PROCESSOR_BATCH_ROWS", "9", 1);
  auto s =
      parse({"--config", path, "--kafka", "flag:2"},
            {"kafka.bootstrap", "kafka.task_topic", "processor.batch_rows", "kafka.data_topic"});
  ::unsetenv("FINSTREAM_KAFKA_TASK_TOPIC");
  ::unsetenv("FINSTREAM_PROCESSOR_BATCH_ROWS");
  CHECK(s.str("kafka.bootstrap") == "flag:2");
  CHECK(s.origin("kafka.bootstrap") == "flag");
  CHECK(s.str("kafka.task_topic") == "env_topic");
  CHECK(s.integer("processor.batch_rows") == 9);
  CHECK(s.str("kafka.data_topic") == "stock_data_topic");
  CHECK(s.origin("kafka.data_topic") == "default");
  std::remove(path.c_str());
}

TEST_CASE("bad config files and values are clear errors") {
  auto path = "/tmp/" + finstream::test::unique_name("cfg") + ".toml";
  {
    std::ofstream f{path};
    f << "[kafka]\nbootstrapp = \"x\"\n";
  }
  CHECK_THROWS_WITH(read_config_file(path), Catch::Contains("unknown option 'kafka.bootstrapp'"));
  {
    std::ofstream f{path};
    f << "[kafka\n";
  }
  CHECK_THROWS_WITH(read_config_file(path), Catch::Contains(path + ":1"));
  std::remove(path.c_str());
  auto s = parse({"--batch-rows", "many"}, {"processor.batch_rows"});
  CHECK_THROWS_WITH(s.integer("processor.batch_rows"), Catch::Contains("processor.batch_rows"));
}

TEST_CASE("[kafka.properties]: any librdkafka property from the file (quoted or nested keys) and "
          "from FINSTREAM_KAFKA_PROPERTY_*, the environment winning") {
  auto path = "/tmp/" + finstream::test::unique_name("cfg") + ".toml";
  {
    std::ofstream f{path};
    f << "[kafka]\nbootstrap = \"b:1\"\n"
      << "[kafka.properties]\n"
      << "\"security.protocol\" = \"SASL_SSL\"\n"
      << "sasl.mechanism = \"PLAIN\"\n"
      << "ssl.ca.location = \"/etc/ca.pem\"\n"
      << "\"socket.keepalive.enable\" = true\n"
      << "\"fetch.wait.max.ms\" = 20\n";
  }
  ::setenv("FINSTREAM_KAFKA_PROPERTY_SASL_MECHANISM", "SCRAM-SHA-512", 1);
  ::setenv("FINSTREAM_KAFKA_PROPERTY_SASL_KERBEROS_SERVICE_NAME", "kafka", 1);
  ::setenv("FINSTREAM_KAFKA_PROPERTY_SSL__ENGINE__ID", "x", 1);
  auto s = parse({"--config", path}, {"kafka.bootstrap"});
  ::unsetenv("FINSTREAM_KAFKA_PROPERTY_SASL_MECHANISM");
  ::unsetenv("FINSTREAM_KAFKA_PROPERTY_SASL_KERBEROS_SERVICE_NAME");
  ::unsetenv("FINSTREAM_KAFKA_PROPERTY_SSL__ENGINE__ID");
  std::remove(path.c_str());
  CHECK(s.str("kafka.bootstrap") == "b:1");
  auto p = s.with_prefix(kafka_properties_prefix);
  CHECK(p == std::map<std::string, std::string>{{"fetch.wait.max.ms", "20"},
                                                {"sasl.kerberos.service.name", "kafka"},
                                                {"sasl.mechanism", "SCRAM-SHA-512"},
                                                {"security.protocol", "SASL_SSL"},
                                                {"socket.keepalive.enable", "true"},
                                                {"ssl.ca.location", "/etc/ca.pem"},
                                                {"ssl_engine_id", "x"}});
  CHECK(kafka_property_from_env("SASL_USERNAME") == "sasl.username");
  CHECK(kafka_property_from_env("A__B_C") == "a_b.c");
}

TEST_CASE("a bad value is quoted in one line, escaped and cut") {
  // Found by test/fuzz/options_fuzz.cpp (regression input test/fuzz/regressions/options/): a value
  // with a carriage return or newline was echoed raw, breaking the one-line error.
  settings s;
  s.set("kafka.partitions", "-\r-k\nSt", "flag");
  try {
    (void)s.integer("kafka.partitions");
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()} ==
          "option kafka.partitions must be an integer, got '-\\x0d-k\\nSt'");
  }
  s.set("kafka.partitions", std::string(500, '7') + "x", "flag");
  try {
    (void)s.integer("kafka.partitions");
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string{e.what()}.size() < 140);
  }
}

TEST_CASE("config files: a float too large for an integer option is refused, a directory is no "
          "file") {
  // Found by test/fuzz/config_fuzz.cpp (regression input test/fuzz/regressions/config/): reading
  // `batch_rows = 1e200` converted the float to an integer (undefined behaviour) before checking
  // the value's type.
  auto path = "/tmp/" + finstream::test::unique_name("cfg") + ".toml";
  {
    std::ofstream f{path};
    f << "[processor]\nbatch_rows = 1e200\n";
  }
  auto values = read_config_file(path);
  std::remove(path.c_str());
  settings s;
  s.set("processor.batch_rows", values.at("processor.batch_rows"), "file");
  CHECK(s.number("processor.batch_rows") == 1e200);
  CHECK_THROWS_WITH(s.integer("processor.batch_rows"),
                    Catch::Contains("processor.batch_rows must be an integer"));
  CHECK_THROWS_WITH(read_config_file("/tmp"), Catch::Contains("/tmp: is a directory"));
}
