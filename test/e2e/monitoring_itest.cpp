// End-to-end monitoring test: a real Prometheus scrapes two `finstream run` replicas during a
// backfill through the Yahoo replay server, with failures injected (a retried 500, an unknown
// symbol, a poison message). Then every PromQL expression of every dashboard and every recording
// rule must return data from Prometheus' HTTP API, every metric a panel names must be exported by
// the binary, `promtool check metrics` must pass on each live /metrics, the series list of
// docs/operations.md must match what the binary exports, every SQL query of the symbol dashboard
// must return rows, and `finstream status --kafka` must report the groups' lag.
#include <catch2/catch.hpp>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.hpp"
#include "kafka/producer.hpp"
#include "scenario.hpp"
#include "support/env.hpp"
#include "sources/yahoo.hpp"
#include "support/run_binary.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Number of samples an instant query returns (-1 when the query fails).
long samples(int prom_port, const std::string& expr, std::string* error = nullptr) {
  auto [status, body] = http_get(prom_port, "/api/v1/query?query=" + percent_encode(expr));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (status != 200 || parser.parse(body).get(doc)) {
    if (error) *error = "HTTP " + std::to_string(status) + ": " + body;
    return -1;
  }
  std::string_view st;
  if (doc["status"].get(st) || st != "success") {
    if (error) *error = body;
    return -1;
  }
  simdjson::dom::array result;
  if (doc["data"]["result"].get(result)) return 0;
  return static_cast<long>(result.size());
}

/// Metric family names in a Prometheus text exposition (from the # TYPE lines).
std::set<std::string> families(const std::string& exposition) {
  std::set<std::string> out;
  static const std::regex re{"(^|\n)# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "};
  for (std::sregex_iterator it{exposition.begin(), exposition.end(), re}, end; it != end; ++it)
    out.insert((*it)[2]);
  return out;
}

/// The finstream metrics an expression names that `exported` lacks (histogram series map to their
/// family). Recording rules' outputs (finstream:...) are checked against `recorded`.
std::vector<std::string> unknown_metrics(const std::string& expr,
                                         const std::set<std::string>& exported,
                                         const std::set<std::string>& recorded) {
  std::vector<std::string> out;
  static const std::regex re{"finstream[_:][a-zA-Z0-9_:]*"};
  for (std::sregex_iterator it{expr.begin(), expr.end(), re}, end; it != end; ++it) {
    std::string name = it->str();
    if (name.find(':') != std::string::npos) {
      if (!recorded.count(name)) out.push_back(name);
      continue;
    }
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s{suffix};
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          exported.count(family.substr(0, family.size() - s.size())) &&
          !exported.count(family)) {
        family = family.substr(0, family.size() - s.size());
        break;
      }
    }
    if (!exported.count(family)) out.push_back(name);
  }
  return out;
}

struct panel_query {
  std::string dashboard, panel, text;
};

/// Every query of the dashboards' panels (and query variables) of one datasource kind.
std::vector<panel_query> dashboard_queries(const std::string& field) {
  std::vector<panel_query> out;
  const auto dir = test::source_dir() + "/k8s/components/monitoring/dashboards";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.load(entry.path().string());
    const std::string name = entry.path().filename().string();
    for (auto panel : doc["panels"].get_array()) {
      simdjson::dom::array targets;
      if (panel["targets"].get(targets)) continue;
      std::string_view title = panel["title"].get_string();
      for (auto t : targets) {
        std::string_view text;
        if (!t[field].get(text)) out.push_back({name, std::string{title}, std::string{text}});
      }
    }
    for (auto v : doc["templating"]["list"].get_array()) {
      std::string_view type = v["type"].get_string(), q;
      if (type == "query" && !v["query"].get(q) && field == "rawSql")
        out.push_back({name, "variable", std::string{q}});
    }
  }
  return out;
}

std::string promql_for_api(std::string expr) {
  for (const char* var : {"$__rate_interval", "$__interval", "$__range"}) {
    std::size_t pos;
    while ((pos = expr.find(var)) != std::string::npos)
      expr.replace(pos, std::strlen(var), "30s");
  }
  return expr;
}

std::string sql_for_db(std::string sql, const std::string& symbol) {
  sql = std::regex_replace(sql, std::regex{R"(\$__timeFilter\((\w+)\))"},
                           "$1 BETWEEN '1900-01-01' AND '2100-01-01'");
  return std::regex_replace(sql, std::regex{R"(\$symbol|\$\{symbol\})"}, symbol);
}

int run_with_stdin(const std::string& command, const std::string& input, std::string& output) {
  const auto in_path = std::filesystem::temp_directory_path() / test::unique_name("metrics_in");
  { std::ofstream{in_path} << input; }
  output.clear();
  FILE* p = ::popen((command + " < " + in_path.string() + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p))
    output.append(buf, n);
  int st = ::pclose(p);
  std::filesystem::remove(in_path);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

} // namespace

TEST_CASE("monitoring: Prometheus scraping two replicas during a backfill gets data for every "
          "dashboard query and recording rule",
          "[e2e][monitoring]") {
  test_database db{"e2e_monitoring"};
  kafka_names k{"monitoring"};
  scratch_area area{"monitoring"};
  const auto dir = area.path();

  // Failures to inject: MSFT answers 500 once (a retry), ZZZZ is unknown (a failed task), and a
  // garbled message on the data topic (a dead letter, sent once Prometheus scrapes).
  auto [replay, replay_url] = start_replay(dir, {"--script", "MSFT=500,ok"});
  create_topics(k);

  const std::vector<std::string> universe{"MSFT", "NVDA", "TSLA", "ZZZZ"};
  const std::vector<std::string> yahoo{"--source", "yahoo", "--yahoo-url",
                                       replay_url, "--rate", "50"};
  // Replica a also serves the chart page, so that its series (exported only while the page
  // runs) are among those checked against the docs.
  auto yahoo_ui = yahoo;
  yahoo_ui.insert(yahoo_ui.end(), {"--ui-port", "0"});
  process a{run_args("manager=1,agent=1,processor=1", db, k, universe, "2021-02-01", "2022-01-31",
                     yahoo_ui),
            dir + "/a.log"};
  process b{run_args("manager=1,agent=1,processor=1", db, k, universe, "2021-02-01", "2022-01-31",
                     yahoo),
            dir + "/b.log"};
  auto port_a = a.metrics_port(), port_b = b.metrics_port();
  INFO(a.log() << b.log());
  REQUIRE(port_a);
  REQUIRE(port_b);

  // Prometheus: both replicas every second, the project's rules evaluated every second.
  const int prom_port = free_port();
  const std::string config = dir + "/prometheus.yml";
  std::ofstream{config} << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        << "rule_files:\n  - " << test::source_dir()
                        << "/config/prometheus/finstream.rules.yml\n"
                        << "scrape_configs:\n  - job_name: finstream\n    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << *port_a << "', '127.0.0.1:" << *port_b
                        << "']\n";
  process prom{{"--config.file=" + config, "--storage.tsdb.path=" + dir + "/tsdb",
                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
               dir + "/prometheus.log",
               {},
               "/usr/bin/prometheus"};
  REQUIRE(wait_until([&] { return http_get(prom_port, "/-/ready").first == 200; }, 60s));
  // The poison message once Prometheus has seen the dead-letter counters at 0 (as in production,
  // where a replica is scraped long before its first dead letter): an alert on their increase
  // needs the value before the event.
  REQUIRE(wait_until(
      [&] {
        return samples(prom_port, "finstream_kafka_dead_letters_total{topic=\"" + k.data_topic +
                                      "\"} == 0") == 2;
      },
      60s));
  {
    kafka::config kc;
    kc.bootstrap_servers = test::kafka_bootstrap();
    kafka::producer producer{kc};
    producer.produce(k.data_topic, "MSFT", "not json at all");
    REQUIRE(producer.flush(10s));
  }

  // The backfill completes (ZZZZ fails for good) while Prometheus scrapes.
  REQUIRE(wait_until(
      [&] {
        return done_symbols(db) == 3 &&
               db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'failed'") == 1;
      },
      180s));
  // The injected failures are visible through Prometheus.
  for (const char* expr : {"sum(finstream_source_retries_total) > 0",
                           "sum(finstream_tasks_failed_total{reason=\"not_found\"}) > 0",
                           "sum(finstream_kafka_dead_letters_total) > 0",
                           "count(up{job=\"finstream\"} == 1) == 2",
                           "max(finstream_universe_symbols_failed_permanently) == 1"}) {
    INFO(expr);
    CHECK(wait_until([&] { return samples(prom_port, expr) == 1; }, 60s));
  }

  const auto text_a = http_get(*port_a, "/metrics").second;
  const auto text_b = http_get(*port_b, "/metrics").second;
  auto exported = families(text_a);
  for (const auto& f : families(text_b))
    exported.insert(f);

  // Counters with known label values exist at 0 before their first event; no series carries a
  // symbol (label sets stay bounded whatever the universe).
  for (const auto* text : {&text_a, &text_b}) {
    CHECK(text->find("symbol=\"") == std::string::npos);
    CHECK(text->find("finstream_tasks_failed_total{reason=\"timeout\"} 0\n") != std::string::npos);
    CHECK(text->find("finstream_source_fetches_total{outcome=\"garbled\",source=\"yahoo\"} 0\n") !=
          std::string::npos);
    CHECK(text->find("finstream_kafka_dead_letters_total{topic=\"" + k.task_topic + "\"} 0\n") !=
          std::string::npos);
  }

  // Rules as Prometheus loaded them: every recording rule's output has data; every rule names
  // only metrics the binary exports (or recorded series).
  std::set<std::string> recorded;
  std::vector<std::pair<std::string, std::string>> rules; // name, query
  {
    auto [status, body] = http_get(prom_port, "/api/v1/rules");
    REQUIRE(status == 200);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(body);
    for (auto g : doc["data"]["groups"].get_array())
      for (auto r : g["rules"].get_array()) {
        std::string name{std::string_view{r["name"].get_string()}};
        if (std::string_view{r["type"].get_string()} == "recording") recorded.insert(name);
        rules.emplace_back(name, std::string{std::string_view{r["query"].get_string()}});
      }
  }
  REQUIRE(recorded.size() >= 5);
  REQUIRE(rules.size() >= recorded.size() + 9);
  for (const auto& rule : recorded) {
    INFO("recording rule " << rule);
    CHECK(wait_until([&] { return samples(prom_port, rule) > 0; }, 30s));
  }
  for (const auto& [name, query] : rules) {
    INFO("rule " << name << ": " << query);
    CHECK(unknown_metrics(query, exported, recorded).empty());
  }

  // The alerts on the real series: the poison message fires FinstreamDeadLetters for its topic at
  // once, the unknown symbol makes FinstreamSymbolsFailedPermanently pending (for: 5m), and with
  // a leader elected FinstreamNoLeader stays silent.
  {
    auto alert_state = [&](const std::string& name, const std::string& label_value) {
      auto [status, body] = http_get(prom_port, "/api/v1/alerts");
      if (status != 200) return std::string{};
      simdjson::dom::parser parser;
      simdjson::dom::element doc = parser.parse(body);
      for (auto a : doc["data"]["alerts"].get_array()) {
        if (std::string_view{a["labels"]["alertname"].get_string()} != name) continue;
        if (!label_value.empty() && body.find(label_value) == std::string::npos) continue;
        return std::string{std::string_view{a["state"].get_string()}};
      }
      return std::string{};
    };
    CHECK(wait_until([&] { return alert_state("FinstreamDeadLetters", k.data_topic) == "firing"; },
                     30s));
    CHECK(wait_until(
        [&] { return alert_state("FinstreamSymbolsFailedPermanently", "") == "pending"; }, 30s));
    CHECK(alert_state("FinstreamNoLeader", "").empty());
  }

  // Every PromQL expression of every dashboard: names only exported metrics, returns data.
  const auto promql = dashboard_queries("expr");
  REQUIRE(promql.size() >= 15);
  for (const auto& q : promql) {
    INFO(q.dashboard << " / " << q.panel << ": " << q.text);
    CHECK(unknown_metrics(q.text, exported, recorded).empty());
    std::string error;
    const bool data =
        wait_until([&] { return samples(prom_port, promql_for_api(q.text), &error) > 0; }, 30s);
    INFO(error);
    CHECK(data);
  }
  // The check above catches a panel naming a metric the binary does not export.
  CHECK(unknown_metrics("sum(rate(finstream_not_exported_total[5m]))", exported, recorded) ==
        std::vector<std::string>{"finstream_not_exported_total"});
  CHECK(samples(prom_port, "sum(rate(finstream_not_exported_total[30s]))") == 0);

  // promtool's linter accepts each live exposition.
  for (const auto* text : {&text_a, &text_b}) {
    std::string out;
    const int code = run_with_stdin("promtool check metrics", *text, out);
    INFO(out);
    CHECK(code == 0);
  }

  // docs/operations.md lists exactly the families the binary exports.
  {
    const auto doc = read_file(test::source_dir() + "/docs/operations.md");
    const auto start = doc.find("## Metrics");
    const auto end = doc.find("\n## ", start + 1);
    REQUIRE(start != std::string::npos);
    const auto table = doc.substr(start, end - start);
    std::set<std::string> documented;
    static const std::regex re{"`(finstream_[a-z0-9_]+)"};
    for (std::sregex_iterator it{table.begin(), table.end(), re}, e; it != e; ++it)
      documented.insert((*it)[1]);
    for (const auto& f : exported) {
      INFO("exported, not in docs/operations.md: " << f);
      CHECK(documented.count(f) == 1);
    }
    for (const auto& f : documented) {
      INFO("in docs/operations.md, not exported: " << f);
      CHECK(exported.count(f) == 1);
    }
  }

  // Every SQL query of the symbol dashboard returns rows for a backfilled symbol.
  const auto sql = dashboard_queries("rawSql");
  REQUIRE(sql.size() >= 5);
  for (const auto& q : sql) {
    INFO(q.dashboard << " / " << q.panel << ": " << q.text);
    CHECK(db.scalar("SELECT count(*) FROM (" + sql_for_db(q.text, "MSFT") + ") q") > 0);
  }

  // `finstream status --kafka`: both groups, every partition; once the replicas have committed
  // what they consumed, every partition that holds messages is committed up to its end (lag 0),
  // the messages of the run (and the poison one) included.
  {
    const std::vector<std::string> args{
        "--pg",          db.dsn(),          "--kafka",           test::kafka_bootstrap(),
        "--task-topic",  k.task_topic,      "--data-topic",      k.data_topic,
        "--agent-group", k.agent_group,     "--processor-group", k.processor_group,
        "--symbols",     join(universe),    "--to",              "2022-01-31",
        "--json"};
    simdjson::dom::parser parser;
    std::string last;
    bool caught_up = wait_until(
        [&] {
          auto r = test::run_binary("status", args);
          last = r.out + r.err;
          if (r.code != 0) return false;
          simdjson::dom::element doc = parser.parse(r.out);
          std::int64_t total = 0, written = 0;
          for (auto g : doc["lag"].get_array()) {
            total += g["lag"].get_int64().value();
            for (auto p : g["partitions"].get_array()) {
              written += p["high"].get_int64().value();
              if (p["high"].get_int64().value() > 0 && p["committed"].is_null()) return false;
            }
          }
          return total == 0 && written > 0;
        },
        60s);
    INFO(last);
    REQUIRE(caught_up);
    simdjson::dom::element doc = parser.parse(last);
    CHECK(doc["universe"]["by_state"]["done"].get_uint64().value() == 3);
    CHECK(doc["universe"]["failed_permanent"].get_uint64().value() == 1);
    CHECK(doc["manager"]["active"].get_bool().value());
    auto lag = doc["lag"].get_array().value();
    REQUIRE(lag.size() == 2);
    std::set<std::string> groups;
    for (auto g : lag) {
      groups.insert(std::string{std::string_view{g["group"].get_string()}});
      CHECK(g["partitions"].get_array().value().size() == 6);
    }
    CHECK(groups == std::set<std::string>{k.agent_group, k.processor_group});
  }

  a.signal(SIGTERM);
  b.signal(SIGTERM);
  prom.signal(SIGTERM);
  CHECK(a.wait(30s) == 0);
  CHECK(b.wait(30s) == 0);
  CHECK(prom.wait(30s));
}
