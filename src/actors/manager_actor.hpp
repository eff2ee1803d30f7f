// The manager actor: ticks manager_core, hands tasks to in-process agents or publishes them to
// Kafka.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "actors/interfaces.hpp"
#include "engine/manager_core.hpp"
#include "engine/plan_store.hpp"

namespace finstream::actors {

struct manager_config {
  std::shared_ptr<engine::plan_store> store;
  engine::manager_core::universe_fn universe;
  engine::manager_options options;
  std::chrono::milliseconds poll{500};
  /// Kafka transport: publishes tasks durably and returns where each was stored, throws when it
  /// cannot. Empty: tasks wait in the actor's queue for in-process agents (get_task).
  std::function<std::vector<engine::task_position>(const std::vector<fetch_task>&)> publish;
  /// With `publish`: the agents' committed offsets on the task topic (manager_core::
  /// watch_task_queue). Empty: not watched.
  engine::manager_core::committed_fn task_queue;
};

struct manager_state {
  std::unique_ptr<engine::manager_core> core;
  std::deque<fetch_task> queue;
  std::uint64_t expired_counted = 0; // progress().expired already added to the metric
  std::uint64_t passed_counted = 0;  // progress().passed already added to the metric
  std::uint64_t fenced_counted = 0;  // progress().fenced already added to the metric
  static inline const char* name = "manager";
};

/// Spawn detached: a tick queries PostgreSQL.
manager_actor::behavior_type manager(manager_actor::stateful_pointer<manager_state> self,
                                     manager_config cfg);

} // namespace finstream::actors
