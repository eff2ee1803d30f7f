// Helpers shared by the end-to-end scenarios (see scenario.hpp).
#include "scenario.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <regex>

#include <catch2/catch.hpp>

#include "kafka/admin.hpp"
#include "support/env.hpp"

namespace finstream::e2e {

std::vector<std::string> synthetic_symbols(int n, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%03d", prefix.c_str(), i);
    out.emplace_back(buf);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> run_args(const std::string& roles, const test_database& db,
                                  const kafka_names& k, const std::vector<std::string>& symbols,
                                  const std::string& from, const std::string& to,
                                  std::vector<std::string> extra) {
  std::vector<std::string> args{"run",       "--roles",        roles,    "--pg", db.dsn(),
                                "--symbols", join(symbols),    "--from", from,   "--to",
                                to,          "--metrics-port", "0"};
  auto kf = k.flags();
  args.insert(args.end(), kf.begin(), kf.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

long long done_symbols(const test_database& db) {
  return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'done'");
}

std::pair<std::unique_ptr<process>, std::string>
start_yahoo_replay(const std::string& data_dir, const std::string& log_path,
                   const std::vector<std::string>& extra) {
  auto bin = (std::filesystem::path{test::binary()}.parent_path() / "yahoo_replay").string();
  std::vector<std::string> args{"--port", "0", "--data", data_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  auto replay = std::make_unique<process>(
      args, log_path, std::vector<std::pair<std::string, std::string>>{}, bin);
  std::string port;
  REQUIRE(wait_until(
      [&] {
        auto text = replay->log();
        auto nl = text.find('\n');
        if (nl == std::string::npos) return false;
        port = text.substr(0, nl);
        return true;
      },
      std::chrono::seconds{10}));
  return {std::move(replay), "http://127.0.0.1:" + port};
}

int url_port(const std::string& url) {
  return std::stoi(url.substr(url.rfind(':') + 1));
}

std::pair<std::unique_ptr<process>, std::string> start_replay(const std::string& dir,
                                                              std::vector<std::string> extra) {
  return start_yahoo_replay(test::source_dir() + "/test/data/yahoo-chart", dir + "/replay.log",
                            extra);
}

long long metric(int port, const std::string& series) {
  auto [status, body] = http_get(port, "/metrics");
  if (status != 200) return -1;
  std::regex re{"(^|\n)" + series + " ([0-9.e+]+)"};
  std::smatch m;
  if (!std::regex_search(body, m, re)) return -1;
  return static_cast<long long>(std::stod(m[2]));
}

void create_topics(const kafka_names& k, int partitions) {
  kafka::config kc;
  kc.bootstrap_servers = test::kafka_bootstrap();
  kafka::admin admin{kc};
  std::vector<kafka::topic_spec> specs;
  for (const auto& t : {k.task_topic, k.data_topic, k.task_topic + ".dlq", k.data_topic + ".dlq"}) {
    kafka::topic_spec spec;
    spec.name = t;
    spec.partitions = partitions;
    specs.push_back(spec);
  }
  admin.ensure_topics(specs);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

} // namespace finstream::e2e
