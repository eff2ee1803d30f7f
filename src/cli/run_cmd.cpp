// `finstream run`: host manager/agent/processor actors in the weights given, bound through Kafka.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli/chart_page.hpp"
#include "actors/pg_stores.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/pod_identity.hpp"
#include "core/log.hpp"

namespace finstream::cli {

int run_run(int argc, char** argv) {
  CLI::App app{
      "Hosts manager, agent and processor actors in the weights given by --roles; replicas\n"
      "of this process cooperate through Kafka (topics created when missing) and write\n"
      "to PostgreSQL exactly once. One manager among all replicas is active (leader lock).\n"
      "Stops cleanly on SIGTERM/SIGINT: stops consuming, commits, leaves its groups; exit 0\n"
      "when everything stopped cleanly, 3 when work in progress was abandoned.",
      "finstream run"};
  bool exit_when_idle = false;
  app.add_flag("--exit-when-idle", exit_when_idle,
               "exit once everything planned is stored (needs the manager role in this process)");
  auto keys = pipeline_option_keys();
  for (const char* k : {"roles", "roles_file", "kafka.client_id", "kafka.instance_id",
                        "kafka.session_timeout_ms", "kafka.bootstrap", "kafka.task_topic", "kafka.data_topic",
                        "kafka.partitions", "kafka.replication_factor", "kafka.agent_group",
                        "kafka.processor_group", "kafka.dlq_suffix",
                        "kafka.agent_max_poll_interval_ms"})
    keys.push_back(k);
  option_binder binder{app, keys};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  actors::runtime_config rc;
  bool failed = false;
  try {
    auto s = binder.resolve();
    log::setup(s.str("log.level"));
    rc.roles = actors::parse_roles(effective_roles(s));
    if (rc.roles.managers + rc.roles.agents + rc.roles.processors == 0)
      throw std::invalid_argument("--roles: every role is 0, nothing to run");
    if (exit_when_idle && rc.roles.managers == 0)
      throw std::invalid_argument("--exit-when-idle needs manager=1 or more in --roles");
    if (rc.roles.managers > 0) rc.universe = make_universe(s);
    rc.manager = make_manager_options(s);
    rc.processing = make_processor_options(s);
    rc.manager_poll = std::chrono::milliseconds{s.integer("manager.poll_ms")};
    rc.dsn = resolve_dsn(s);
    if (rc.roles.agents > 0) {
      auto so = make_source_options(s);
      // The Yahoo rate holds for the whole deployment: one bucket per host in PostgreSQL.
      so.yahoo.make_shared_rate = actors::pg_shared_rate::factory(
          rc.dsn, "yahoo:" + so.yahoo.base_url, so.yahoo.rate_per_second, so.yahoo.burst);
      auto factory = std::make_shared<source_factory>(so);
      rc.make_source = [factory] { return factory->make(); };
    }
    if (rc.dsn.empty() && std::getenv("PGHOST") == nullptr)
      throw std::invalid_argument(
          "no database: give --pg DSN (or --pg-file, FINSTREAM_PG, PGHOST)");
    actors::kafka_topology k;
    k.client.bootstrap_servers = s.str("kafka.bootstrap");
    k.client.extra = kafka_properties(s); // security.protocol, sasl.*, ssl.*, ...: see settings.hpp
    k.task_topic = s.str("kafka.task_topic");
    k.data_topic = s.str("kafka.data_topic");
    k.agent_group = s.str("kafka.agent_group");
    k.processor_group = s.str("kafka.processor_group");
    k.dlq_suffix = s.str("kafka.dlq_suffix");
    k.partitions = static_cast<int>(s.integer("kafka.partitions"));
    k.replication_factor = static_cast<int>(s.integer("kafka.replication_factor"));
    k.agent_max_poll_interval_ms = static_cast<int>(s.integer("kafka.agent_max_poll_interval_ms"));
    if (k.agent_max_poll_interval_ms < 10'000)
      throw std::invalid_argument("--agent-max-poll-ms must be >= 10000 (the session timeout)");
    if (k.partitions < 1 || k.replication_factor < 1)
      throw std::invalid_argument("--partitions and --replication-factor must be >= 1");
    k.client.client_id = s.str("kafka.client_id");
    k.client.consumer_extra.push_back({"session.timeout.ms", s.str("kafka.session_timeout_ms")});
    k.instance_id = s.str("kafka.instance_id");
    if (!k.instance_id.empty()) validate_instance_id(k.instance_id);
    rc.kafka = k;
    install_signal_handlers();
    // Before any consumer joins: a second process with the same instance id stops here.
    std::optional<instance_guard> guard;
    if (!k.instance_id.empty()) guard.emplace(rc.dsn, k.instance_id);
    auto ops = start_ops_server(s);
    readiness_probe probe{rc.dsn, k.client.bootstrap_servers, k.client.extra};
    auto chart = start_chart_page(plan_chart_page(s, /*on_by_default=*/false), rc.dsn);
    actors::runtime rt{rc};
    log::info("main", "started",
              {{"managers", rc.roles.managers},
               {"agents", rc.roles.agents},
               {"processors", rc.roles.processors},
               {"metrics_port", ops ? static_cast<int>(ops->port()) : -1}});
    while (!stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds{250});
      if (auto why = rt.failure()) {
        // An actor refused to go on (e.g. the data topic's partitions changed): stop and say so.
        log::error("main", "failed", {{"reason", *why}});
        failed = true;
        break;
      }
      if (exit_when_idle) {
        auto p = rt.progress();
        if (p && p->idle) break;
      }
    }
    log::info("main", "stopping", {{"signal", stop_requested()}});
    if (!rt.stop()) {
      // Work was abandoned (a fetch dropped, or an actor busy past the budget): it is uncommitted
      // and will be redone by another replica. Exit now rather than wait for it, and say so in
      // the exit code (see runtime::stop).
      log::error("main", "stopped_abandoning_work", {{"exit_code", exit_abandoned}});
      std::fflush(nullptr);
      std::_Exit(failed ? exit_failure : exit_abandoned);
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "finstream run: %s\n", e.what());
    return exit_usage;
  }
  log::info("main", "stopped");
  return failed ? exit_failure : exit_ok;
}

} // namespace finstream::cli
