// Option table and the merge of defaults, config file, environment and flags (see settings.hpp).
#include "cli/settings.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string_view>

#include <unistd.h> // environ

#include <toml++/toml.h>

namespace finstream::cli {

const std::vector<option_def>& option_table() {
  static const std::vector<option_def> table = {
      // general
      {"log.level", "--log-level", "info", "log level: trace, debug, info, warn, error"},
      {"metrics.port", "--metrics-port", "9464",
       "port of the HTTP endpoint serving /metrics, /healthz, /readyz (0 = any free port, -1 = "
       "off)"},
      {"metrics.address", "--metrics-address", "0.0.0.0", "address the HTTP endpoint binds"},
      // what to fetch
      {"universe.symbols", "--symbols", "", "comma-separated symbols (e.g. AAPL,MSFT,BRK-B)"},
      {"universe.file", "--universe", "",
       "file with one symbol per line (# comments); reloaded when it changes"},
      {"range.from", "--from", "2015-01-01", "first date to fetch (YYYY-MM-DD, exchange-local)"},
      {"range.to", "--to", "",
       "last date to fetch (YYYY-MM-DD); empty = the last closed trading day, advanced daily"},
      // sources
      {"source.kind", "--source", "synthetic", "market data source: synthetic | csv:DIR | yahoo"},
      {"source.yahoo_url", "--yahoo-url", "https://query2.finance.yahoo.com",
       "base URL of the Yahoo chart API"},
      {"source.ca_file", "--ca-file", "", "PEM file of trusted CAs for the Yahoo connection"},
      {"source.user_agent", "--user-agent", "",
       "HTTP User-Agent for Yahoo (empty = a current browser's)"},
      {"source.rate", "--rate", "1",
       "requests per second to Yahoo, shared by all agents of the deployment (a token bucket in "
       "PostgreSQL; `finstream fetch` and local mode: of the process)"},
      {"source.max_attempts", "--max-attempts", "6",
       "requests per fetch before giving up (transient errors)"},
      {"source.timeout_ms", "--timeout-ms", "15000", "connect and read timeout of one request"},
      // roles
      {"roles", "--roles", "manager=1,agent=2,processor=2",
       "actors of each role hosted by this process (0 = role absent)"},
      {"roles_file", "--roles-file", "",
       "file whose content, when present and not empty, replaces roles (per-pod weights, e.g. a "
       "downward-API pod annotation)"},
      {"indicators", "--indicators", "",
       "indicator set stored in technical_indicators, applied by `finstream migrate` (e.g. "
       "[\"rsi(14)\", \"macd(12,26,9)\", \"sma(50)\"]; empty = keep the stored set, the default "
       "set on a new database); changed later with `finstream indicators-set`"},
      // Kafka
      {"kafka.bootstrap", "--kafka", "localhost:9092", "Kafka bootstrap servers (host:port,...)"},
      {"kafka.task_topic", "--task-topic", "stock_topic",
       "topic of fetch tasks (manager → agents)"},
      {"kafka.data_topic", "--data-topic", "stock_data_topic",
       "topic of bars (agents → processors)"},
      {"kafka.partitions", "--partitions", "30", "partitions of topics created by finstream"},
      {"kafka.replication_factor", "--replication-factor", "1",
       "replication factor of created topics"},
      {"kafka.agent_group", "--agent-group", "finstream-agents", "consumer group of the agents"},
      {"kafka.processor_group", "--processor-group", "finstream-processors",
       "consumer group of the processors"},
      {"kafka.dlq_suffix", "", ".dlq", "dead-letter topic = <topic><suffix>"},
      {"kafka.client_id", "--client-id", "finstream",
       "Kafka client.id of this process's clients (e.g. the pod name)"},
      {"kafka.instance_id", "--instance-id", "",
       "static group membership: consumer n of role r gets group.instance.id <id>-<r>-<n> "
       "(empty = dynamic membership; unique per process)"},
      {"kafka.session_timeout_ms", "--session-timeout-ms", "10000",
       "consumer session timeout: how long a silent member keeps its partitions (with "
       "--instance-id, above a restart's duration, e.g. 30000)"},
      // PostgreSQL
      {"pg.dsn", "--pg", "",
       "PostgreSQL connection string (libpq URI or key=value); also FINSTREAM_PG"},
      {"pg.dsn_file", "--pg-file", "",
       "file holding the connection string (keeps passwords off argv)"},
      {"pg.statement_timeout_ms", "--pg-statement-timeout-ms", "60000",
       "server cancels a statement running longer; the client drops a connection that gives no "
       "answer for this + 5 s (a hung server) and retries (0 = no limit)"},
      {"pg.idle_in_transaction_timeout_ms", "--pg-idle-in-transaction-timeout-ms", "20000",
       "server ends a session idle inside a transaction for longer (0 = no limit)"},
      {"pg.tcp_user_timeout_ms", "--pg-tcp-user-timeout-ms", "30000",
       "TCP: drop the connection when sent data stays unacknowledged this long (0 = system "
       "default); keepalives are on (DSN keywords keepalives_* override)"},
      // processors
      {"processor.batch_rows", "--batch-rows", "5000",
       "rows per COPY batch (whichever first: rows or time)"},
      {"processor.batch_ms", "--batch-ms", "200",
       "longest time a row waits before its batch is written"},
      {"processor.max_inflight", "--max-inflight", "2",
       "batches written concurrently per processor before it pauses its partitions"},
      {"processor.max_cached_symbols", "", "100000", "symbol states kept in memory per processor"},
      {"processor.revision_window", "--revision-window", "5",
       "last sessions of a symbol re-fetched with each daily task and corrected when the source "
       "revised them (0 = off; same value on every replica)"},
      // manager
      {"manager.schedule", "--schedule", "17:30",
       "daily planning time (HH:MM) in manager.timezone, after the market close"},
      {"manager.timezone", "", "America/New_York",
       "time zone of the schedule and of 'last closed day'"},
      {"manager.poll_ms", "--manager-poll-ms", "500",
       "how often the manager checks progress and leadership (ms)"},
      // local mode
      {"local.data_dir", "--data-dir", "./.finstream",
       "where `finstream local` keeps its private PostgreSQL (without --pg)"},
      // chart page
      {"ui.port", "--ui-port", "",
       "port of the chart page (empty = 8080 for `finstream local`, or any free port when 8080 is "
       "taken; off for `finstream run`; 0 = any free port; -1 = off)"},
      {"ui.address", "--ui-address", "127.0.0.1", "address the chart page binds"},
      {"ui.statement_timeout_ms", "--ui-statement-timeout-ms", "5000",
       "longest time one chart page query may run (PostgreSQL statement_timeout)"},
      // failures and throttling (issue #10)
      {"manager.retry_base_ms", "--retry-base-ms", "30000",
       "wait before a failed symbol is planned again, doubled per counted failure (a throttled "
       "failure waits this long and is not counted)"},
      {"manager.task_deadline_ms", "--task-deadline-ms", "1800000",
       "a task started by an agent this long ago and not completed is planned again (waiting in "
       "the task topic does not count)"},
      {"kafka.agent_max_poll_interval_ms", "--agent-max-poll-ms", "300000",
       "max.poll.interval.ms of the agents' consumers (they keep polling while a fetch runs)"},
      {"source.breaker_open_ms", "--breaker-open-ms", "300000",
       "how long the Yahoo circuit breaker stays open after repeated 429s (doubles while they "
       "go on)"},
      {"source.simulated_clock", "--simulated-clock", "",
       "accelerated calendar for soak runs: DATE@UNIX_SECONDS/DAY_SECONDS (DATE begins at that "
       "Unix time, a day lasts DAY_SECONDS; the manager's target and schedule and the synthetic "
       "source's today follow it; give every replica the same value); empty = the real clock"},
  };
  return table;
}

std::string env_name(const std::string& key) {
  std::string out = "FINSTREAM_";
  for (char c : key)
    out += (c == '.' || c == '-') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// A value as quoted in a one-line error: control characters and non-ASCII bytes escaped (\n,
// \xNN), cut after `max` bytes (a wrong value may be a whole file or a secret pasted in the wrong
// place: enough to recognise it, not to reproduce it).
std::string shown(std::string_view v, std::size_t max = 60) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (char ch : v.substr(0, max)) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f || c == '\\')
      out += std::string{"\\x"} + hex[c >> 4] + hex[c & 15];
    else
      out += ch;
  }
  if (v.size() > max) out += "...";
  return out;
}

const option_def& def_of(const std::string& key) {
  for (const auto& d : option_table())
    if (key == d.key) return d;
  throw std::logic_error("unknown option key " + key);
}

} // namespace

void settings::set(const std::string& key, std::string value, std::string origin) {
  values_[key] = {std::move(value), std::move(origin)};
}

const std::string& settings::str(const std::string& key) const {
  auto i = values_.find(key);
  if (i == values_.end()) throw std::logic_error("option " + key + " not resolved");
  return i->second.first;
}

const std::string& settings::origin(const std::string& key) const {
  auto i = values_.find(key);
  if (i == values_.end()) throw std::logic_error("option " + key + " not resolved");
  return i->second.second;
}

long long settings::integer(const std::string& key) const {
  const auto& v = str(key);
  try {
    std::size_t pos = 0;
    auto n = std::stoll(v, &pos);
    if (pos == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("option " + key + " must be an integer, got '" + shown(v) + "'");
}

double settings::number(const std::string& key) const {
  const auto& v = str(key);
  try {
    std::size_t pos = 0;
    auto n = std::stod(v, &pos);
    if (pos == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("option " + key + " must be a number, got '" + shown(v) + "'");
}

bool settings::flag(const std::string& key) const {
  const auto& v = str(key);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off" || v.empty()) return false;
  throw std::invalid_argument("option " + key + " must be true or false, got '" + shown(v) + "'");
}

std::map<std::string, std::string> settings::with_prefix(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  for (auto it = values_.lower_bound(prefix);
       it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out[it->first.substr(prefix.size())] = it->second.first;
  return out;
}

std::string kafka_property_from_env(const std::string& rest) {
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '_' && i + 1 < rest.size() && rest[i + 1] == '_') {
      out += '_';
      ++i;
    } else if (rest[i] == '_') {
      out += '.';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
    }
  }
  return out;
}

std::map<std::string, std::string> read_config_file(const std::string& path) {
  // toml++ reads a directory as an empty file: refuse anything but a file.
  if (std::filesystem::is_directory(path))
    throw std::invalid_argument(path + ": is a directory, not a config file");
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                shown(e.description(), 300));
  }
  std::map<std::string, std::string> out;
  auto put = [&](const std::string& key, const toml::node& node) {
    // Types are tested first: value<long long>() of a float converts it (undefined behaviour
    // when out of range).
    if (auto s = node.value<std::string>())
      out[key] = *s;
    else if (auto i = node.as_integer())
      out[key] = std::to_string(i->get());
    else if (auto d = node.as_floating_point())
      out[key] = std::to_string(d->get());
    else if (auto b = node.value<bool>())
      out[key] = *b ? "true" : "false";
    else if (auto arr = node.as_array()) {
      std::string joined;
      for (const auto& el : *arr) {
        auto s = el.value<std::string>();
        if (!s) throw std::invalid_argument(path + ": " + key + " must be an array of strings");
        joined += (joined.empty() ? "" : ",") + *s;
      }
      out[key] = joined;
    } else {
      throw std::invalid_argument(path + ": unsupported value for " + key);
    }
  };
  // [kafka.properties]: librdkafka's dotted names, written quoted or as nested tables.
  std::function<void(const std::string&, const toml::table&)> flatten =
      [&](const std::string& prefix, const toml::table& t) {
        for (const auto& [k2, v2] : t) {
          const std::string key = prefix + "." + std::string{k2.str()};
          if (auto nested = v2.as_table())
            flatten(key, *nested);
          else
            put(key, v2);
        }
      };
  for (const auto& [k, v] : tbl) {
    std::string key{k.str()};
    if (auto sub = v.as_table()) {
      for (const auto& [k2, v2] : *sub) {
        const std::string key2 = key + "." + std::string{k2.str()};
        if (key2 + "." == kafka_properties_prefix && v2.is_table())
          flatten(key2, *v2.as_table());
        else
          put(key2, v2);
      }
    } else {
      put(key, v);
    }
  }
  for (const auto& [key, value] : out) {
    bool known = key.rfind(kafka_properties_prefix, 0) == 0;
    for (const auto& d : option_table())
      known = known || key == d.key;
    if (!known) throw std::invalid_argument(path + ": unknown option '" + shown(key) + "'");
  }
  return out;
}

option_binder::option_binder(CLI::App& app, const std::vector<std::string>& keys) {
  config_opt_ =
      app.add_option("--config", config_path_,
                     "config file (default: $FINSTREAM_CONFIG, else ./config/finstream.toml "
                     "when present)");
  for (const auto& key : keys) {
    const auto& d = def_of(key);
    raw_[key];
    if (*d.flag == '\0') continue;
    std::string help = std::string{d.help} + " [default: " +
                       (*d.default_value ? std::string{d.default_value} : std::string{"none"}) +
                       "; env " + env_name(key) + "]";
    options_[key] = app.add_option(d.flag, raw_[key], help);
  }
}

settings option_binder::resolve() const {
  settings s;
  for (const auto& d : option_table())
    s.set(d.key, d.default_value, "default");
  std::string path = config_path_;
  if (path.empty()) {
    if (const char* e = std::getenv("FINSTREAM_CONFIG"); e && *e)
      path = e;
    else if (std::ifstream{"config/finstream.toml"}.good())
      path = "config/finstream.toml";
  }
  if (!path.empty()) {
    if (!std::ifstream{path}.good()) throw std::invalid_argument("cannot read config file " + path);
    for (auto& [k, v] : read_config_file(path))
      s.set(k, v, "file");
  }
  for (const auto& d : option_table())
    if (const char* e = std::getenv(env_name(d.key).c_str()); e != nullptr) s.set(d.key, e, "env");
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry{*e};
    const std::string prefix = kafka_property_env_prefix;
    const auto eq = entry.find('=');
    if (entry.rfind(prefix, 0) != 0 || eq == std::string::npos || eq == prefix.size()) continue;
    s.set(kafka_properties_prefix + kafka_property_from_env(entry.substr(prefix.size(),
                                                                         eq - prefix.size())),
          entry.substr(eq + 1), "env");
  }
  // libpq-style fallback for the DSN: FINSTREAM_PG.
  if (s.origin("pg.dsn") == "default")
    if (const char* e = std::getenv("FINSTREAM_PG"); e && *e) s.set("pg.dsn", e, "env");
  for (const auto& [key, opt] : options_)
    if (opt->count() > 0) s.set(key, raw_.at(key), "flag");
  return s;
}

} // namespace finstream::cli
