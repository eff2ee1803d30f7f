// Kafka agent: a blocking actor consuming fetch tasks (group finstream-agents) and publishing bars.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "kafka/config.hpp"
#include "kafka/producer.hpp"
#include "sources/source.hpp"

namespace finstream::actors {

struct kafka_agent_config {
  kafka::config kafka;
  std::string group = "finstream-agents";
  std::string task_topic = "stock_topic";
  std::string data_topic = "stock_data_topic";
  std::string dlq_suffix = ".dlq";
  std::shared_ptr<kafka::producer> producer; // shared by the process's agents
  std::function<std::unique_ptr<source>()> make_source;
  std::size_t batch_bars = 1000;
  /// PostgreSQL of the deployment: the agent records there when it starts a task
  /// (symbol_state.started_at, the start of the task's deadline). Empty: not recorded.
  std::string dsn;
  /// Counts fetches abandoned at a stop (may be null); shared with the runtime, which reports them.
  std::shared_ptr<std::atomic<std::size_t>> abandoned;
};

/// Runs until it receives stop_atom. Per task: fetch, publish its batches keyed by symbol, wait for
/// their delivery, then commit the task's offset: a crash in between redelivers the task, whose
/// bars the processors recognise as duplicates (at-least-once delivery, exactly-once effect).
/// A task that cannot be decoded goes to the dead-letter topic.
/// The fetch runs on a thread of its own while this actor keeps polling (its partitions paused
/// once the fetch has run for a second), so a long fetch (retries, Retry-After) never exceeds
/// max.poll.interval.ms. A stop_atom arriving meanwhile abandons the fetch (the task stays
/// uncommitted, `abandoned` counts it) and the agent still closes its consumer, leaving the group
/// so that the task moves at once.
void kafka_agent(caf::blocking_actor* self, kafka_agent_config cfg);

} // namespace finstream::actors
