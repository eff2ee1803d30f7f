// The two units of work that flow between roles: fetch tasks (manager → agents) and bar batches
// (agents → processors). Transport-neutral: carried as CAF messages in-process and as JSON on
// Kafka.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bar.hpp"

namespace finstream {

/// "Fetch [from, to] of `symbol`". Planned by the manager; idempotent: fetching twice yields bars
/// that change nothing downstream.
struct fetch_task {
  std::string task_id; // unique per planning (symbol + range + planning epoch), for tracing
  std::string symbol;
  day_t from = 0;
  day_t to = 0;
  /// When the leader planned it (ms since the epoch): a task planned later asks the source later,
  /// so its answer is the newer one (a re-planned task's over an expired one's). 0: unknown.
  std::int64_t generation = 0;
};

/// A chunk of one task's result, in date order. A task's result is split into chunks of bounded
/// size (`seq` = 0, 1, ...); the chunk with `last` set closes the task — also sent when the fetch
/// found no bars or failed, so that the processor can report the task as done.
struct bar_batch {
  std::string task_id;
  std::string symbol;
  day_t from = 0; // the task's range, repeated in every chunk
  day_t to = 0;
  std::uint32_t seq = 0;
  bool last = true;
  /// The task's generation (fetch_task::generation), in every chunk: a processor revises stored
  /// sessions only with bars of a generation not older than the one that wrote them.
  std::int64_t generation = 0;
  /// The last date the fetch is final through (<= to): what the task completes in symbol_state.
  /// Later dates of [from, to] are fetched again by a later task. Set on every chunk.
  day_t complete_through = 0;
  std::vector<bar> bars;
  std::vector<split_event> splits;       // events inside [from, to] (sent with chunk 0)
  std::vector<dividend_event> dividends; // idem
  std::string error;      // non-empty: the fetch failed (then bars is empty and last is set)
  bool permanent = false; // the failure is permanent (unknown symbol, bad range)
  /// The failure came from throttling (HTTP 429, circuit breaker open): it delays the symbol but
  /// does not count against its retry budget.
  bool throttled = false;
};

} // namespace finstream
