// Shared plumbing of the long-running verbs (see common.hpp).
#include "cli/common.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.hpp"
#include "core/sim_clock.hpp"
#include "core/symbol.hpp"
#include "engine/calendar.hpp"
#include "kafka/admin.hpp"
#include "metrics/metrics.hpp"
#include "pg/connection.hpp"
#include "pg/dsn.hpp"
#include "sources/universe.hpp"

namespace finstream::cli {

namespace {

std::atomic<int> signals_seen{0};

void on_signal(int sig) {
  if (signals_seen.fetch_add(1) > 0 && sig == SIGINT) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

} // namespace

std::vector<std::string> split_symbols(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = normalize_symbol(
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    if (auto err = symbol_error(item)) throw std::invalid_argument("--symbols: " + *err);
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  return out;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

bool stop_requested() {
  return signals_seen.load() > 0;
}

std::unique_ptr<http::server> start_ops_server(const settings& s) {
  auto port = s.integer("metrics.port");
  if (port < 0) return nullptr;
  if (port > 65535) throw std::invalid_argument("--metrics-port must be -1..65535");
  try {
    http::server_options o;
    o.address = s.str("metrics.address");
    o.port = static_cast<std::uint16_t>(port);
    return std::make_unique<http::server>(o);
  } catch (const std::exception& e) {
    log::warn("main", "metrics_endpoint_unavailable", {{"reason", e.what()}});
    return nullptr;
  }
}

readiness_probe::readiness_probe(std::string dsn, std::optional<std::string> kafka_bootstrap,
                                 kafka::properties kafka_extra)
    : dsn_(std::move(dsn))
    , kafka_(std::move(kafka_bootstrap))
    , kafka_extra_(std::move(kafka_extra)) {
  auto& r = http::readiness::global();
  checks_.push_back(r.add("postgres", [this] { return pg_ok_.load(); }));
  if (kafka_) checks_.push_back(r.add("kafka", [this] { return kafka_ok_.load(); }));
  thread_ = std::thread([this] { loop(); });
}

readiness_probe::~readiness_probe() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void readiness_probe::loop() {
  std::unique_ptr<pg::connection> conn;
  std::unique_ptr<kafka::admin> admin;
  pg::reconnect_policy quick;
  quick.give_up_after = std::chrono::seconds{2};
  quick.connect_timeout_s = 2;
  while (!stop_) {
    try {
      if (!conn) conn = std::make_unique<pg::connection>(dsn_, quick);
      pg_ok_ = conn->ping();
      if (!pg_ok_) conn.reset();
    } catch (const std::exception&) {
      pg_ok_ = false;
      conn.reset();
    }
    if (kafka_) {
      try {
        if (!admin) {
          kafka::config c;
          c.bootstrap_servers = *kafka_;
          c.client_id = "finstream-readiness";
          c.extra = kafka_extra_;
          admin = std::make_unique<kafka::admin>(c);
        }
        admin->partition_count("__consumer_offsets", std::chrono::seconds{2});
        kafka_ok_ = true;
      } catch (const std::exception&) {
        kafka_ok_ = false;
      }
    }
    for (int i = 0; i < 20 && !stop_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
}

engine::manager_core::universe_fn make_universe(const settings& s,
                                                const std::vector<std::string>& fallback) {
  auto symbols = split_symbols(s.str("universe.symbols"));
  const auto& file = s.str("universe.file");
  if (!symbols.empty() && !file.empty())
    throw std::invalid_argument("give either --symbols or --universe, not both");
  if (!symbols.empty()) return [symbols] { return symbols; };
  if (file.empty()) {
    if (fallback.empty())
      throw std::invalid_argument("no symbols: give --symbols A,B,C or --universe FILE");
    return [fallback] { return fallback; };
  }
  struct cache {
    std::mutex mtx;
    std::string path;
    std::int64_t mtime = -1;
    std::vector<std::string> symbols;
  };
  auto c = std::make_shared<cache>();
  c->path = file;
  try {
    c->symbols = read_universe(file); // errors at start-up are fatal: bad input (exit code 2)
  } catch (const universe_error& e) {
    throw std::invalid_argument(std::string{"--universe: "} + e.what());
  }
  if (c->symbols.empty()) throw std::invalid_argument("--universe: " + file + ": no symbol in it");
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0)
    c->mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return [c] {
    std::lock_guard<std::mutex> guard{c->mtx};
    struct stat st {};
    if (::stat(c->path.c_str(), &st) == 0) {
      auto m = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      if (m != c->mtime) {
        c->mtime = m;
        try {
          c->symbols = read_universe(c->path);
          log::info("manager", "universe_reloaded",
                    {{"file", c->path}, {"symbols", c->symbols.size()}});
        } catch (const std::exception& e) {
          log::warn("manager", "universe_reload_failed", {{"reason", e.what()}});
        }
      }
    }
    return c->symbols;
  };
}

std::vector<std::string> pipeline_option_keys() {
  return {"universe.symbols",
          "universe.file",
          "source.kind",
          "source.yahoo_url",
          "source.ca_file",
          "source.user_agent",
          "source.rate",
          "source.max_attempts",
          "source.timeout_ms",
          "range.from",
          "range.to",
          "pg.dsn",
          "pg.dsn_file",
          "pg.statement_timeout_ms",
          "pg.idle_in_transaction_timeout_ms",
          "pg.tcp_user_timeout_ms",
          "log.level",
          "metrics.port",
          "metrics.address",
          "processor.batch_rows",
          "processor.batch_ms",
          "processor.max_inflight",
          "processor.max_cached_symbols",
          "processor.revision_window",
          "manager.schedule",
          "manager.timezone",
          "manager.poll_ms",
          "ui.port",
          "ui.address",
          "ui.statement_timeout_ms",
          "manager.retry_base_ms",
          "manager.task_deadline_ms",
          "source.breaker_open_ms",
          "source.simulated_clock"};
}

namespace {

/// The calendar of `source.simulated_clock`; a malformed value names the flag.
calendar_clock simulated_calendar(const settings& s) {
  try {
    return make_calendar(s.str("source.simulated_clock"));
  } catch (const std::invalid_argument& e) {
    std::string why = e.what(); // "simulated clock: <reason>"
    throw std::invalid_argument("--simulated-clock: " + why.substr(why.find(": ") + 2));
  }
}

} // namespace

source_options make_source_options(const settings& s) {
  source_options o;
  o.spec = s.str("source.kind");
  o.yahoo.base_url = s.str("source.yahoo_url");
  o.yahoo.ca_file = s.str("source.ca_file");
  if (!s.str("source.user_agent").empty()) o.yahoo.user_agent = s.str("source.user_agent");
  auto rate = s.number("source.rate");
  if (!(rate > 0)) throw std::invalid_argument("--rate must be > 0");
  o.yahoo.rate_per_second = rate;
  auto attempts = s.integer("source.max_attempts");
  if (attempts < 1 || attempts > 100) throw std::invalid_argument("--max-attempts must be 1..100");
  o.yahoo.max_attempts = static_cast<int>(attempts);
  auto timeout = s.integer("source.timeout_ms");
  if (timeout < 1) throw std::invalid_argument("--timeout-ms must be > 0");
  o.yahoo.connect_timeout = std::chrono::milliseconds{timeout};
  o.yahoo.read_timeout = std::chrono::milliseconds{timeout};
  auto open_ms = s.integer("source.breaker_open_ms");
  if (open_ms < 1) throw std::invalid_argument("--breaker-open-ms must be > 0");
  o.yahoo.breaker.open_for = std::chrono::milliseconds{open_ms};
  o.yahoo.breaker.max_open = std::max(o.yahoo.breaker.max_open, o.yahoo.breaker.open_for);
  if (!s.str("source.simulated_clock").empty())
    o.today = simulated_calendar(s).today;
  return o;
}

namespace {

int revision_window(const settings& s) {
  auto n = s.integer("processor.revision_window");
  if (n < 0 || n > 250)
    throw std::invalid_argument("--revision-window must be between 0 and 250 sessions");
  return static_cast<int>(n);
}

} // namespace

engine::manager_options make_manager_options(const settings& s) {
  engine::manager_options o;
  auto from = parse_date(s.str("range.from"));
  if (!from)
    throw std::invalid_argument("--from: '" + s.str("range.from") + "' is not a date YYYY-MM-DD");
  o.from = *from;
  if (!s.str("range.to").empty()) {
    auto to = parse_date(s.str("range.to"));
    if (!to)
      throw std::invalid_argument("--to: '" + s.str("range.to") + "' is not a date YYYY-MM-DD");
    if (*to < *from) throw std::invalid_argument("--to is before --from");
    o.to = *to;
  }
  o.timezone = s.str("manager.timezone");
  o.schedule_minutes = engine::parse_hh_mm(s.str("manager.schedule"));
  if (o.schedule_minutes < 0)
    throw std::invalid_argument("--schedule: '" + s.str("manager.schedule") + "' is not HH:MM");
  engine::last_closed_trading_day(std::chrono::system_clock::now(), o.timezone); // validates tz
  o.planning.retry_base_ms = s.integer("manager.retry_base_ms");
  if (o.planning.retry_base_ms < 1) throw std::invalid_argument("--retry-base-ms must be > 0");
  o.task_deadline_ms = s.integer("manager.task_deadline_ms");
  if (o.task_deadline_ms < 1) throw std::invalid_argument("--task-deadline-ms must be > 0");
  o.planning.revision_sessions = revision_window(s);
  if (!s.str("source.simulated_clock").empty())
    o.calendar_now = simulated_calendar(s).now;
  return o;
}

actors::processor_options make_processor_options(const settings& s) {
  actors::processor_options o;
  auto rows = s.integer("processor.batch_rows");
  auto ms = s.integer("processor.batch_ms");
  auto inflight = s.integer("processor.max_inflight");
  auto cached = s.integer("processor.max_cached_symbols");
  if (rows < 1 || ms < 1 || inflight < 1 || cached < 1)
    throw std::invalid_argument("processor options must be positive");
  o.batch_rows = static_cast<std::size_t>(rows);
  o.batch_time = std::chrono::milliseconds{ms};
  o.max_inflight = static_cast<std::size_t>(inflight);
  o.max_cached = static_cast<std::size_t>(cached);
  o.revision_window = static_cast<std::size_t>(revision_window(s));
  return o;
}

std::string resolve_dsn(const settings& s) {
  // Every connection made from here on carries the configured limits (pg::session_limits).
  pg::session_limits limits;
  auto ms = [&](const char* key) {
    const auto v = s.integer(key);
    if (v < 0 || v > 2'000'000'000)
      throw std::invalid_argument(std::string{"--"} + key + " must be 0..2000000000");
    return std::chrono::milliseconds{v};
  };
  limits.statement_timeout = ms("pg.statement_timeout_ms");
  limits.idle_in_transaction_timeout = ms("pg.idle_in_transaction_timeout_ms");
  limits.tcp_user_timeout = ms("pg.tcp_user_timeout_ms");
  pg::set_default_session_limits(limits);
  // A flag beats FINSTREAM_PG / FINSTREAM_PG_FILE; a config-file or environment value comes after
  // them (pg::resolve_dsn's order).
  pg::dsn_sources src;
  (s.origin("pg.dsn") == "flag" ? src.flag_dsn : src.config_dsn) = s.str("pg.dsn");
  (s.origin("pg.dsn_file") == "flag" ? src.flag_file : src.config_file) = s.str("pg.dsn_file");
  // Bad input, not a failed run: an unreadable DSN file or a DSN libpq cannot parse is a usage
  // error (std::invalid_argument: exit code 2), reported without the DSN's text.
  std::string dsn;
  try {
    dsn = pg::resolve_dsn(src);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  if (dsn.empty()) return dsn;
  std::vector<std::pair<std::string, std::string>> settings;
  try {
    settings = pg::dsn_settings(dsn);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(
        "the PostgreSQL connection string (--pg, --pg-file, FINSTREAM_PG) is not a libpq URI "
        "or key=value list; its text is not shown, it may hold a password");
  }
  // libpq checks ports only when connecting (and then retries would hide the typo).
  for (const auto& [key, value] : settings) {
    if (key != "port") continue;
    std::size_t pos = 0;
    while (pos <= value.size()) {
      auto comma = value.find(',', pos);
      auto port = value.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? value.size() + 1 : comma + 1;
      bool digits = !port.empty() && port.size() <= 5 &&
                    port.find_first_not_of("0123456789") == std::string::npos;
      if (!port.empty() && (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535))
        throw std::invalid_argument(
            "the PostgreSQL connection string's port is not a number 1..65535");
    }
  }
  return dsn;
}

kafka::properties kafka_properties(const settings& s) {
  kafka::properties out;
  for (const auto& [name, value] : s.with_prefix(kafka_properties_prefix)) {
    const std::string suffix = ".file";
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      out.emplace_back(name, value);
      continue;
    }
    const std::string property = name.substr(0, name.size() - suffix.size());
    std::ifstream in{value, std::ios::binary};
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad())
      throw std::invalid_argument("kafka property " + property + ": cannot read the file '" +
                                  value + "'");
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
      secret.pop_back();
    out.emplace_back(property, std::move(secret));
  }
  // Name order puts "x.file" right after "x": a secret from a file is applied last and wins.
  return out;
}

progress_line::progress_line()
    : tty_(::isatty(STDERR_FILENO) == 1)
    , start_(std::chrono::steady_clock::now())
    , rows_at_start_(metrics::registry::global()
                         .counter("finstream_pg_rows_written_total",
                                  "technical_indicators rows inserted or changed by the sink")
                         .value()) {}

void progress_line::update(const engine::manager_progress& p) {
  if (!tty_) return;
  auto rows = metrics::registry::global()
                  .counter("finstream_pg_rows_written_total",
                           "technical_indicators rows inserted or changed by the sink")
                  .value() -
              rows_at_start_;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? rows / secs : 0;
  auto finished = p.done + p.failed;
  std::string eta = "-";
  if (finished > 0 && p.planned > finished) {
    double per_task = secs / static_cast<double>(finished);
    eta = std::to_string(
              static_cast<long long>(per_task * static_cast<double>(p.planned - finished))) +
          "s";
  }
  std::fprintf(stderr, "\r\033[Ksymbols %llu/%llu done, %llu failed | %.0f bars/s | ETA %s",
               static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.planned),
               static_cast<unsigned long long>(p.failed), rate, eta.c_str());
  std::fflush(stderr);
  printed_ = true;
}

void progress_line::finish() {
  if (tty_ && printed_) std::fprintf(stderr, "\n");
  printed_ = false;
}

void print_summary(const std::string& dsn, const std::vector<std::string>& universe,
                   const std::string& psql_hint) {
  pg::connection conn{dsn};
  auto totals =
      conn.query("SELECT count(DISTINCT symbol), count(*), min(date)::text, max(date)::text "
                 "FROM technical_indicators WHERE symbol = ANY($1::text[])",
                 pg::array_of(universe));
  auto failed = conn.query("SELECT symbol, coalesce(last_error, '') FROM symbol_state "
                           "WHERE status = 'failed' AND symbol = ANY($1::text[]) ORDER BY symbol",
                           pg::array_of(universe));
  std::printf("\nfinstream summary\n");
  std::printf("  symbols   %s of %zu in the universe\n", totals.str(0, 0).c_str(), universe.size());
  std::printf("  rows      %s in technical_indicators\n", totals.str(0, 1).c_str());
  std::printf("  dates     %s .. %s\n", totals.is_null(0, 2) ? "-" : totals.str(0, 2).c_str(),
              totals.is_null(0, 3) ? "-" : totals.str(0, 3).c_str());
  if (failed.rows() > 0) {
    std::printf("  failed    %d symbol(s):\n", failed.rows());
    for (int i = 0; i < failed.rows() && i < 10; ++i)
      std::printf("            %s: %s\n", failed.str(i, 0).c_str(), failed.str(i, 1).c_str());
  }
  auto latest = conn.query(
      "SELECT symbol, date::text, round(close::numeric, 2)::text, round(rsi::numeric, 2)::text, "
      "round(macd::numeric, 4)::text, round(macd_signal::numeric, 4)::text "
      "FROM latest_indicators WHERE symbol = ANY($1::text[]) ORDER BY symbol LIMIT 5",
      pg::array_of(universe));
  if (latest.rows() > 0) {
    std::printf("\n  %-10s %-10s %10s %8s %10s %12s\n", "symbol", "date", "close", "rsi", "macd",
                "macd_signal");
    for (int i = 0; i < latest.rows(); ++i)
      std::printf("  %-10s %-10s %10s %8s %10s %12s\n", latest.str(i, 0).c_str(),
                  latest.str(i, 1).c_str(), latest.str(i, 2).c_str(),
                  latest.is_null(i, 3) ? "-" : latest.str(i, 3).c_str(),
                  latest.is_null(i, 4) ? "-" : latest.str(i, 4).c_str(),
                  latest.is_null(i, 5) ? "-" : latest.str(i, 5).c_str());
  }
  std::printf("\nquery it:\n  %s\n  e.g. SELECT * FROM latest_indicators;\n", psql_hint.c_str());
  std::fflush(stdout);
}

} // namespace finstream::cli
