// In-process agent actor: pulls tasks from the manager, fetches, hands batches to processors.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "actors/interfaces.hpp"
#include "sources/source.hpp"

namespace finstream::actors {

struct local_agent_config {
  manager_actor manager;
  std::vector<processor_actor>
      processors; // a symbol always goes to the same one (order per symbol)
  std::function<std::unique_ptr<source>()> make_source;
  std::size_t batch_bars = 1000;
  std::chrono::milliseconds idle_wait{100};
};

struct local_agent_state {
  std::unique_ptr<source> src;
  std::deque<bar_batch> outbox; // batches of the current task, sent one at a time
  // Lives in the state (destroyed when the actor terminates), not in a self-referencing closure,
  // so that the processor handles it uses are released with the actor.
  std::function<void()> send_next;
  static inline const char* name = "agent";
};

/// Spawn detached: fetch() blocks on network I/O. Send it next_atom once to start.
agent_actor::behavior_type local_agent(agent_actor::stateful_pointer<local_agent_state> self,
                                       local_agent_config cfg);

/// The processor index of `symbol` among `n` (stable within a process).
std::size_t processor_index(const std::string& symbol, std::size_t n);

} // namespace finstream::actors
