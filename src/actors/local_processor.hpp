// In-process processor actor: batches from agents → symbol_processor → commits through a sink
// actor.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
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
  /// The symbols routed to this processor: processor_index(symbol, count) == index.
  std::size_t index = 0;
  std::size_t count = 1;
  /// Symbols listed for a fill by set versions up to the argument (pg::fill_pending_symbols);
  /// empty: this processor fills only the symbols that receive bars.
  std::function<std::vector<std::string>(std::int64_t)> fill_pending;
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
  std::function<void()> fill;  // while idle: follows the stored set, fills listed symbols
  std::deque<std::string> fill_queue; // symbols listed for a fill, not yet looked at
  std::chrono::steady_clock::time_point next_fill_scan{};
  static inline const char* name = "processor";
};

/// Spawn detached: history loads for a recompute query PostgreSQL. Contract: a batch's reply means
/// "accepted" (not yet committed); flush_atom's reply means "everything accepted is committed".
/// While idle (nothing waiting, pending or in flight) it follows the active indicator set stored
/// in PostgreSQL and fills, a few per commit, its symbols listed in indicator_fill_pending (those
/// that get no new bars): what the Kafka processors do, so that an indicator added with
/// `finstream indicators-set add` reaches every stored row in local mode too. A fill only updates
/// existing rows' columns (see docs/architecture.md, fencing rules).
processor_actor::behavior_type
local_processor(processor_actor::stateful_pointer<local_processor_state> self,
                local_processor_config cfg);

} // namespace finstream::actors
