// Actor system assembly and orderly shutdown (see runtime.hpp).
#include "actors/runtime.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

#include "core/log.hpp"

#include "actors/kafka_agent.hpp"
#include "actors/kafka_processor.hpp"
#include "actors/local_agent.hpp"
#include "actors/manager_actor.hpp"
#include "actors/pg_stores.hpp"
#include "actors/processor_metrics.hpp"
#include "actors/sink_actor.hpp"
#include "engine/fetch_metrics.hpp"
#include "kafka/admin.hpp"
#include "kafka/codec.hpp"
#include "kafka/dead_letter.hpp"
#include "kafka/group_lag.hpp"
#include "metrics/metrics.hpp"
#include "pg/migrations.hpp"

namespace finstream::actors {

role_weights parse_roles(const std::string& text) {
  role_weights w{0, 0, 0};
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--roles: '" + item + "' is not role=count");
    auto role = item.substr(0, eq);
    int n = 0;
    try {
      std::size_t used = 0;
      n = std::stoi(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1 || n < 0 || n > 256) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw std::invalid_argument("--roles: count of '" + role + "' must be 0..256");
    }
    if (role == "manager")
      w.managers = n;
    else if (role == "agent")
      w.agents = n;
    else if (role == "processor")
      w.processors = n;
    else
      throw std::invalid_argument("--roles: unknown role '" + role +
                                  "' (known: manager, agent, processor)");
  }
  return w;
}

namespace {

/// finstream_role_actors{role}: the actors of each role this process hosts (a replica's role mix).
void register_role_metrics(const role_weights& w) {
  auto& reg = metrics::registry::global();
  const char* help = "actors of each role hosted by this process (--roles)";
  reg.gauge("finstream_role_actors", help, {{"role", "manager"}}).set(w.managers);
  reg.gauge("finstream_role_actors", help, {{"role", "agent"}}).set(w.agents);
  reg.gauge("finstream_role_actors", help, {{"role", "processor"}}).set(w.processors);
}

/// The client config of consumer actor `n` of `role`, with its group.instance.id when static.
kafka::config static_member(const kafka_topology& k, const char* role, int n) {
  auto c = k.client;
  if (!k.instance_id.empty())
    c.consumer_extra.push_back(
        {"group.instance.id", k.instance_id + "-" + role + "-" + std::to_string(n)});
  return c;
}

} // namespace

struct runtime::impl {
  runtime_config cfg;
  caf::actor_system_config sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<kafka::producer> producer;
  std::vector<manager_actor> managers;
  std::vector<agent_actor> local_agents;
  std::vector<processor_actor> local_processors;
  std::vector<caf::actor> blocking; // Kafka agents and processors
  std::vector<sink_actor> sinks;
  bool stopped = false;
  bool clean = true;
  // Shared with the actors that may report a fatal failure (they can outlive an abandoned stop).
  struct failure_box {
    std::mutex mutex;
    std::optional<std::string> reason;
  };
  std::shared_ptr<failure_box> failure = std::make_shared<failure_box>();
  // Fetches the Kafka agents abandoned at the stop (their tasks stay uncommitted).
  std::shared_ptr<std::atomic<std::size_t>> abandoned =
      std::make_shared<std::atomic<std::size_t>>(0);

  explicit impl(runtime_config c)
      : cfg(std::move(c)) {
    add_message_types(sys_cfg);
    if (cfg.worker_threads > 0) sys_cfg.set("scheduler.max-threads", cfg.worker_threads);
    sys_cfg.set("logger.console", caf::atom("none"));
    {
      pg::connection conn{cfg.dsn};
      auto m = pg::migrate(conn);
      if (!m.applied.empty()) log::info("main", "migrated", {{"version", m.version}});
    }
    sys = std::make_unique<caf::actor_system>(sys_cfg);
    if (cfg.roles.agents > 0) engine::register_fetch_metrics();
    if (cfg.roles.processors > 0) processor_metrics::get();
    register_role_metrics(cfg.roles);
    try {
      if (cfg.kafka)
        start_kafka();
      else
        start_local();
    } catch (...) {
      // The actor system's destructor waits for every actor: tell those already spawned to go.
      stop(std::chrono::seconds{5});
      throw;
    }
  }

  ~impl() { stop(std::chrono::seconds{8}); }

  manager_actor spawn_manager(
      std::function<std::vector<engine::task_position>(const std::vector<fetch_task>&)> publish,
      engine::manager_core::committed_fn task_queue) {
    manager_config mc;
    mc.store = std::make_shared<pg_plan_store>(cfg.dsn);
    mc.universe = cfg.universe;
    mc.options = cfg.manager;
    mc.poll = cfg.manager_poll;
    mc.publish = std::move(publish);
    mc.task_queue = std::move(task_queue);
    return sys->spawn<caf::detached>(manager, std::move(mc));
  }

  sink_actor spawn_sink() {
    std::shared_ptr<engine::batch_writer> writer =
        cfg.make_writer ? cfg.make_writer() : std::make_shared<pg_batch_writer>(cfg.dsn);
    auto s = sys->spawn<caf::detached>(sink, std::move(writer));
    sinks.push_back(s);
    return s;
  }

  void start_local() {
    if (cfg.roles.managers > 0) managers.push_back(spawn_manager({}, {}));
    if (cfg.roles.processors <= 0 || cfg.roles.agents <= 0 || managers.empty())
      throw std::invalid_argument("local mode needs at least one manager, agent and processor");
    for (int i = 0; i < cfg.roles.processors; ++i) {
      local_processor_config pc;
      pc.sink = spawn_sink();
      auto store = std::make_shared<pg_history_store>(cfg.dsn);
      pc.store = store;
      pc.indicators = cfg.indicators;
      pc.options = cfg.processing;
      pc.index = static_cast<std::size_t>(i);
      pc.count = static_cast<std::size_t>(cfg.roles.processors);
      // On the processor's thread only, like every use of its store.
      pc.fill_pending = [store](std::int64_t version) { return store->fill_pending(version); };
      local_processors.push_back(sys->spawn<caf::detached>(local_processor, std::move(pc)));
    }
    for (int i = 0; i < cfg.roles.agents; ++i) {
      local_agent_config ac;
      ac.manager = managers.front();
      ac.processors = local_processors;
      ac.make_source = cfg.make_source;
      ac.batch_bars = cfg.batch_bars;
      auto a = sys->spawn<caf::detached>(local_agent, std::move(ac));
      caf::anon_send(a, next_atom_v);
      local_agents.push_back(a);
    }
  }

  void start_kafka() {
    auto& k = *cfg.kafka;
    {
      kafka::admin admin{k.client};
      std::vector<kafka::topic_spec> specs;
      for (const auto& t :
           {k.task_topic, k.data_topic, k.task_topic + k.dlq_suffix, k.data_topic + k.dlq_suffix})
        specs.push_back({t, k.partitions, k.replication_factor, {}});
      admin.ensure_topics(specs);
    }
    // Dead-letter counters of the topics consumed here, at 0 before the first dead letter.
    if (cfg.roles.agents > 0) kafka::dead_letter_counter(metrics::registry::global(), k.task_topic);
    if (cfg.roles.processors > 0)
      kafka::dead_letter_counter(metrics::registry::global(), k.data_topic);
    producer = std::make_shared<kafka::producer>(k.client);
    producer->set_shutdown_flush_timeout(std::chrono::seconds{5});
    auto prod = producer;
    auto topic = k.task_topic;
    for (int i = 0; i < cfg.roles.managers; ++i)
      managers.push_back(spawn_manager(
          [prod, topic](const std::vector<fetch_task>& tasks) {
            auto tracker = std::make_shared<kafka::delivery_tracker>(/*keep_positions=*/true);
            std::string buf;
            std::map<std::string, std::string> task_of; // key (symbol) → task id
            for (const auto& t : tasks) {
              buf.clear();
              kafka::encode(t, buf);
              prod->produce(topic, t.symbol, buf, {}, tracker);
              task_of[t.symbol] = t.task_id;
            }
            if (!prod->wait(*tracker, std::chrono::seconds{30}))
              throw std::runtime_error("tasks not acknowledged by Kafka: " +
                                       tracker->first_error());
            std::vector<engine::task_position> where;
            for (const auto& p : tracker->positions())
              where.push_back({task_of[p.key], p.partition, p.offset});
            return where;
          },
          [client = k.client, group = k.agent_group, topic] {
            std::map<std::int32_t, std::int64_t> committed;
            for (const auto& row : kafka::group_lag(client, group, topic, std::chrono::seconds{5}))
              if (row.committed) committed[row.partition] = *row.committed;
            return committed;
          }));
    for (int i = 0; i < cfg.roles.agents; ++i) {
      kafka_agent_config ac;
      ac.kafka = static_member(k, "agent", i);
      ac.group = k.agent_group;
      ac.task_topic = k.task_topic;
      ac.data_topic = k.data_topic;
      ac.dlq_suffix = k.dlq_suffix;
      ac.producer = producer;
      ac.make_source = cfg.make_source;
      ac.batch_bars = cfg.batch_bars;
      ac.dsn = cfg.dsn;
      ac.kafka.consumer_extra.emplace_back("max.poll.interval.ms",
                                           std::to_string(k.agent_max_poll_interval_ms));
      ac.abandoned = abandoned;
      blocking.push_back(sys->spawn(kafka_agent, std::move(ac)));
    }
    for (int i = 0; i < cfg.roles.processors; ++i) {
      kafka_processor_config pc;
      pc.kafka = static_member(k, "processor", i);
      pc.group = k.processor_group;
      pc.topic = k.data_topic;
      pc.dlq_suffix = k.dlq_suffix;
      pc.producer = producer;
      pc.dsn = cfg.dsn;
      pc.sink = spawn_sink();
      pc.indicators = cfg.indicators;
      pc.options = cfg.processing;
      pc.on_fatal = [box = failure](const std::string& reason) {
        std::lock_guard<std::mutex> lock(box->mutex);
        if (!box->reason) box->reason = reason;
      };
      blocking.push_back(sys->spawn(kafka_processor, std::move(pc)));
    }
  }

  /// Returns false when some actor did not finish within the budget (e.g. an agent inside a long
  /// Yahoo retry): abandoning it is safe (its task is not committed and will be redelivered).
  bool stop(std::chrono::milliseconds budget) {
    if (stopped) return clean;
    stopped = true;
    auto deadline = std::chrono::steady_clock::now() + budget;
    caf::scoped_actor self{*sys};
    std::size_t watched = 0;
    auto watch = [&](const auto& h) {
      self->monitor(h);
      ++watched;
    };
    for (auto& m : managers) {
      watch(m);
      caf::anon_send_exit(m, caf::exit_reason::user_shutdown);
    }
    for (auto& a : local_agents) {
      watch(a);
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    for (auto& b : blocking) {
      watch(b);
      caf::anon_send(b, stop_atom_v);
    }
    // In-process processors commit what they accepted, then go.
    for (auto& p : local_processors) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      self->request(p, std::max(left, std::chrono::milliseconds{1}), caf::flush_atom_v)
          .receive([](bool) {},
                   [](const caf::error& e) {
                     log::warn("processor", "flush_incomplete", {{"reason", caf::to_string(e)}});
                   });
      watch(p);
      self->send_exit(p, caf::exit_reason::user_shutdown);
    }
    // Kafka agents and processors finish on their own after stop_atom (a processor commits and
    // leaves its group first); the sinks go last, once nobody can send them work.
    std::size_t down = 0;
    while (down < watched) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      bool got = false;
      self->receive(
          [&](const caf::down_msg&) {
            ++down;
            got = true;
          },
          caf::after(left) >> [] {});
      if (!got) break;
    }
    for (auto& s : sinks)
      self->send_exit(s, caf::exit_reason::user_shutdown);
    if (producer) producer->flush(std::chrono::seconds{1});
    if (down < watched) log::warn("main", "stop_timeout", {{"pending_actors", watched - down}});
    if (*abandoned > 0) log::warn("main", "fetches_abandoned", {{"count", abandoned->load()}});
    clean = down == watched && *abandoned == 0;
    return clean;
  }
};

runtime::runtime(runtime_config cfg)
    : impl_(std::make_unique<impl>(std::move(cfg))) {}

runtime::~runtime() {
  stop();
}

std::optional<std::string> runtime::failure() const {
  std::lock_guard<std::mutex> lock(impl_->failure->mutex);
  return impl_->failure->reason;
}

std::optional<engine::manager_progress> runtime::progress(std::chrono::milliseconds timeout) {
  if (impl_->managers.empty()) return std::nullopt;
  std::optional<engine::manager_progress> out;
  caf::scoped_actor self{*impl_->sys};
  self->request(impl_->managers.front(), timeout, progress_atom_v)
      .receive([&](const engine::manager_progress& p) { out = p; }, [](const caf::error&) {});
  return out;
}

bool runtime::stop(std::chrono::milliseconds budget) {
  return impl_->stop(budget);
}

} // namespace finstream::actors
