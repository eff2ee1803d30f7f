// `finstream status`: the universe's progress, failed symbols, the active manager and the next
// daily run from PostgreSQL, and consumer lag per group from Kafka (--kafka); text or --json.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "actors/pg_stores.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/json_text.hpp"
#include "engine/calendar.hpp"
#include "engine/universe_summary.hpp"
#include "kafka/group_lag.hpp"
#include "pg/connection.hpp"
#include "pg/manager_store.hpp"
#include "pg/migrations.hpp"
#include "pg/status_store.hpp"
#include "pg/symbol_admin.hpp"

namespace finstream::cli {

namespace {

std::string iso_utc(std::int64_t epoch_s) {
  std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct group_lag {
  std::string group;
  std::string topic;
  std::vector<kafka::partition_lag_row> partitions;
  std::int64_t total() const {
    std::int64_t n = 0;
    for (const auto& p : partitions)
      n += p.lag;
    return n;
  }
};

struct status {
  std::vector<std::string> universe; // exclusions removed
  std::vector<std::string> excluded;
  engine::universe_summary summary;
  std::vector<pg::symbol_state_row> failed;
  day_t target = 0;
  bool target_fixed = false;
  std::int64_t next_run = 0; // epoch seconds, 0 when the target is fixed
  std::optional<pg::leader_session> leader;
  std::optional<std::vector<group_lag>> lag; // only with --kafka
};

void put(std::string& out, const std::string& key, const std::string& raw, bool comma = true) {
  if (comma) out += ',';
  append_json_string(out, key);
  out += ':';
  out += raw;
}

std::string jstr(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string jdate(std::optional<day_t> d) {
  return d ? jstr(format_date(*d)) : std::string{"null"};
}

std::string to_json(const status& st) {
  const auto& s = st.summary;
  std::string out = "{";
  std::string u = "{";
  put(u, "symbols", std::to_string(s.symbols), false);
  std::string ex = "[";
  for (std::size_t i = 0; i < st.excluded.size(); ++i)
    ex += (i ? "," : "") + jstr(st.excluded[i]);
  put(u, "excluded", ex + "]");
  put(u, "by_state",
      "{\"pending\":" + std::to_string(s.pending) + ",\"planned\":" + std::to_string(s.planned) +
          ",\"done\":" + std::to_string(s.done) + ",\"failed\":" + std::to_string(s.failed) + "}");
  put(u, "failed_permanent", std::to_string(s.failed_permanent));
  put(u, "last_stored", jdate(s.last_stored));
  put(u, "complete_through", jdate(s.complete_through));
  put(u, "target", jdate(st.target));
  put(u, "days_behind",
      s.complete_through ? std::to_string(std::max(0, st.target - *s.complete_through)) : "null");
  put(out, "universe", u + "}", false);
  std::string f = "[";
  for (std::size_t i = 0; i < st.failed.size(); ++i) {
    const auto& r = st.failed[i];
    f += i ? ",{" : "{";
    put(f, "symbol", jstr(r.symbol), false);
    put(f, "permanent", r.permanent ? "true" : "false");
    put(f, "attempts", std::to_string(r.attempts));
    put(f, "error", jstr(r.last_error));
    put(f, "since", jstr(iso_utc(r.updated_at)));
    f += '}';
  }
  put(out, "failed", f + "]");
  std::string m = "{";
  put(m, "active", st.leader ? "true" : "false", false);
  if (st.leader) {
    put(m, "pid", std::to_string(st.leader->pid));
    put(m, "application_name", jstr(st.leader->application_name));
    put(m, "client_addr", jstr(st.leader->client_addr));
    put(m, "since", st.leader->backend_start ? jstr(iso_utc(st.leader->backend_start)) : "null");
  }
  put(out, "manager", m + "}");
  put(out, "next_daily_run", st.next_run ? jstr(iso_utc(st.next_run)) : "null");
  if (st.lag) {
    std::string l = "[";
    for (std::size_t i = 0; i < st.lag->size(); ++i) {
      const auto& g = (*st.lag)[i];
      l += i ? ",{" : "{";
      put(l, "group", jstr(g.group), false);
      put(l, "topic", jstr(g.topic));
      put(l, "lag", std::to_string(g.total()));
      std::string ps = "[";
      for (std::size_t j = 0; j < g.partitions.size(); ++j) {
        const auto& p = g.partitions[j];
        ps += j ? ",{" : "{";
        put(ps, "partition", std::to_string(p.partition), false);
        put(ps, "committed", p.committed ? std::to_string(*p.committed) : "null");
        put(ps, "high", std::to_string(p.high));
        put(ps, "lag", std::to_string(p.lag));
        ps += '}';
      }
      put(l, "partitions", ps + "]");
      l += '}';
    }
    put(out, "lag", l + "]");
  }
  return out + "}\n";
}

void print_text(const status& st) {
  const auto& s = st.summary;
  std::printf("universe: %llu symbols", static_cast<unsigned long long>(s.symbols));
  if (!st.excluded.empty()) std::printf(" (%zu excluded)", st.excluded.size());
  std::printf("\n  done %llu, planned %llu, pending %llu, failed %llu (%llu permanent)\n",
              static_cast<unsigned long long>(s.done), static_cast<unsigned long long>(s.planned),
              static_cast<unsigned long long>(s.pending),
              static_cast<unsigned long long>(s.failed),
              static_cast<unsigned long long>(s.failed_permanent));
  std::printf("  last date stored %s, complete through %s, target %s%s",
              s.last_stored ? format_date(*s.last_stored).c_str() : "none",
              s.complete_through ? format_date(*s.complete_through).c_str() : "none",
              format_date(st.target).c_str(), st.target_fixed ? " (fixed by --to)" : "");
  if (s.complete_through)
    std::printf(" (%d days behind)\n", std::max(0, st.target - *s.complete_through));
  else
    std::printf(" (some symbol has nothing stored)\n");
  if (st.leader)
    std::printf("manager: active (pid %lld, %s%s%s, since %s)\n",
                static_cast<long long>(st.leader->pid),
                st.leader->application_name.empty() ? "?" : st.leader->application_name.c_str(),
                st.leader->client_addr.empty() ? "" : " from ",
                st.leader->client_addr.c_str(),
                st.leader->backend_start ? iso_utc(st.leader->backend_start).c_str() : "?");
  else
    std::printf("manager: none active (nothing is being planned)\n");
  if (st.next_run)
    std::printf("next daily run: %s\n", iso_utc(st.next_run).c_str());
  else
    std::printf("next daily run: none (end date fixed by --to)\n");
  if (!st.failed.empty()) {
    std::printf("failed symbols:\n");
    for (const auto& r : st.failed)
      std::printf("  %-10s %-9s attempts %d  %s\n", r.symbol.c_str(),
                  r.permanent ? "permanent" : "transient", r.attempts, r.last_error.c_str());
  }
  if (st.lag) {
    std::printf("consumer lag:\n");
    for (const auto& g : *st.lag)
      std::printf("  %s on %s: %lld (%zu partitions)\n", g.group.c_str(), g.topic.c_str(),
                  static_cast<long long>(g.total()), g.partitions.size());
  }
}

} // namespace

int run_status(int argc, char** argv) {
  CLI::App app{"Shows the universe's progress (symbols by state, last date stored, distance to\n"
               "the target date), failed symbols with their last error, the active manager and\n"
               "the next daily run, from PostgreSQL; with --kafka (or FINSTREAM_KAFKA_BOOTSTRAP)\n"
               "also the consumer lag of the agents' and processors' groups. Without\n"
               "--symbols/--universe, the universe is every symbol known to the database.",
               "finstream status"};
  bool json = false;
  app.add_flag("--json", json, "print one JSON object (for scripts)");
  option_binder binder{app,
                       {"universe.symbols", "universe.file", "range.from", "range.to", "pg.dsn",
                        "pg.dsn_file", "manager.schedule", "manager.timezone", "kafka.bootstrap",
                        "kafka.task_topic", "kafka.data_topic", "kafka.agent_group",
                        "kafka.processor_group", "log.level"}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  status st;
  std::string dsn;
  engine::manager_options mo;
  settings s;
  std::vector<std::string> universe;
  try {
    s = binder.resolve();
    mo = make_manager_options(s);
    if (!s.str("universe.symbols").empty() || !s.str("universe.file").empty())
      universe = make_universe(s)();
    dsn = resolve_dsn(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream status: %s\n", e.what());
    return exit_usage;
  }
  pg::connection conn{dsn};
  pg::migrate(conn);
  if (universe.empty()) universe = pg::read_known_symbols(conn);
  st.excluded = pg::read_exclusions(conn);
  const std::set<std::string> excluded(st.excluded.begin(), st.excluded.end());
  for (auto& sym : universe)
    if (!excluded.count(sym)) st.universe.push_back(std::move(sym));
  auto rows = pg::read_symbol_states(conn, st.universe);
  std::vector<engine::symbol_status> state;
  for (const auto& r : rows) {
    if (r.status == "failed") st.failed.push_back(r);
    state.push_back(actors::to_symbol_status(r));
  }
  st.summary = engine::summarize(st.universe, state);
  const auto now = std::chrono::system_clock::now();
  st.target_fixed = mo.to.has_value();
  st.target = mo.to ? *mo.to : engine::last_closed_trading_day(now, mo.timezone);
  if (!mo.to)
    st.next_run = std::chrono::duration_cast<std::chrono::seconds>(
                      engine::next_daily_run(now, mo.timezone, mo.schedule_minutes)
                          .time_since_epoch())
                      .count();
  st.leader = pg::read_lock_holder(conn, pg::manager_lock_name);
  // Lag only when asked for (--kafka or FINSTREAM_KAFKA_BOOTSTRAP): a config file lists every
  // option, so its bootstrap alone does not make status wait on a broker.
  const auto& kafka_origin = s.origin("kafka.bootstrap");
  if (kafka_origin == "flag" || kafka_origin == "env") {
    kafka::config kc;
    kc.bootstrap_servers = s.str("kafka.bootstrap");
    st.lag.emplace();
    for (const auto& [group, topic] :
         {std::pair{s.str("kafka.agent_group"), s.str("kafka.task_topic")},
          std::pair{s.str("kafka.processor_group"), s.str("kafka.data_topic")}})
      st.lag->push_back({group, topic, kafka::group_lag(kc, group, topic)});
  }
  if (json)
    std::fputs(to_json(st).c_str(), stdout);
  else
    print_text(st);
  return exit_ok;
}

} // namespace finstream::cli
