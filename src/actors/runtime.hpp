// One process's actor system: manager, agent and processor actors in the weights asked for, bound
// together in-process (local mode) or through Kafka (run mode).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/local_processor.hpp"
#include "engine/commit.hpp"
#include "engine/manager_core.hpp"
#include "indicators/indicator_set.hpp"
#include "kafka/config.hpp"
#include "sources/source.hpp"

namespace finstream::actors {

struct role_weights {
  int managers = 1;
  int agents = 2;
  int processors = 2;
};

/// Parses "manager=1,agent=4,processor=2" (missing roles: 0). Throws std::invalid_argument.
role_weights parse_roles(const std::string& text);

struct kafka_topology {
  kafka::config client;
  std::string task_topic = "stock_topic";
  std::string data_topic = "stock_data_topic";
  std::string agent_group = "finstream-agents";
  std::string processor_group = "finstream-processors";
  std::string dlq_suffix = ".dlq";
  int partitions = 30;
  int replication_factor = 1;
  /// max.poll.interval.ms of the agents' consumers (their fetches run beside the poll loop).
  int agent_max_poll_interval_ms = 300'000;
  /// Static group membership: consumer actor n of role r joins with group.instance.id
  /// "<instance_id>-<r>-<n>" (r = agent | processor). Empty: dynamic membership.
  std::string instance_id;
};

struct runtime_config {
  role_weights roles;
  std::optional<kafka_topology> kafka; // nullopt: in-process transport (local mode)
  std::string dsn;
  std::function<std::unique_ptr<source>()> make_source;
  engine::manager_core::universe_fn universe;
  engine::manager_options manager;
  std::chrono::milliseconds manager_poll{500};
  indicators::indicator_set indicators = indicators::indicator_set::default_set();
  processor_options processing;
  std::size_t batch_bars = 1000;
  int worker_threads = 0; // CAF scheduler threads (0: one per core)
  /// The processors' batch writers, one per processor; empty: PostgreSQL (pg_batch_writer on
  /// `dsn`). `finstream bench e2e` passes one that writes nowhere to measure the rest.
  std::function<std::shared_ptr<engine::batch_writer>()> make_writer;
};

/// Spawns every actor on construction (after migrating the schema and, with Kafka, creating the
/// topics) and stops them in order in stop() / the destructor.
class runtime {
public:
  explicit runtime(runtime_config cfg);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// The manager's progress (the first manager of this process), nullopt without a manager role
  /// or when it does not answer within `timeout`.
  std::optional<engine::manager_progress>
  progress(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Orderly shutdown: managers and agents stop taking work, processors commit what they hold,
  /// every Kafka consumer closes and leaves its group (an agent abandons a fetch in progress to do
  /// so: its task is uncommitted and goes to another member). Returns within about `budget`:
  /// true when everything stopped cleanly; false when work was abandoned: a fetch was dropped, or
  /// some actor is still busy past the budget (a commit or delivery that does not end). Every
  /// state is consistent at any moment (exactly-once does not depend on a clean stop), but after
  /// false the caller must end the process with std::_Exit and a non-zero code: destroying the
  /// runtime would wait for a busy actor, and an abandoned fetch thread may still be running.
  bool stop(std::chrono::milliseconds budget = std::chrono::seconds{8});

  /// Why an actor gave up for good (e.g. a processor refusing a changed partition layout), or
  /// nullopt. The process should then stop and exit non-zero.
  std::optional<std::string> failure() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream::actors
