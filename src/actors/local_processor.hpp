// In-process processor actor: batches from agents → symbol_processor → commits through a sink
// actor.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "actors/interfaces.hpp"
#include "engine/commit.hpp"
#include "engine/symbol_processor.hpp"

namespace finstream::actors {

struct processor_options {
  std::size_t batch_rows = 5000;             // commit when this many rows are pending...
  std::chrono::milliseconds batch_time{200}; // ...or when the oldest pending row is this old
  std::size_t max_inflight = 2;              // commits in flight before replies are withheld
  std::size_t max_cached = 100000;           // symbol states kept in memory
  std::size_t revision_window = 5;           // last sessions a source may still revise
};

struct local_processor_config {
  sink_actor sink;
  std::shared_ptr<engine::history_store> store;
  indicators::indicator_set indicators = indicators::indicator_set::default_set();
  processor_options options;
};

struct local_processor_state {
  std::unique_ptr<engine::symbol_processor> proc;
  std::shared_ptr<engine::history_store> store;
  engine::pending_output pending;
  std::size_t inflight = 0;
  bool timer_armed = false;
  std::deque<std::pair<bar_batch, caf::typed_response_promise<bool>>> waiting;
  std::vector<caf::typed_response_promise<bool>> flush_waiters;
  // In the state rather than in closures that reference each other: destroyed with the actor.
  std::function<void()> drain; // processes waiting batches while commits are not behind
  std::function<void()> flush; // sends the pending output to the sink
  static inline const char* name = "processor";
};

/// Spawn detached: history loads for a recompute query PostgreSQL. Contract: a batch's reply means
/// "accepted" (not yet committed); flush_atom's reply means "everything accepted is committed".
processor_actor::behavior_type
local_processor(processor_actor::stateful_pointer<local_processor_state> self,
                local_processor_config cfg);

} // namespace finstream::actors
