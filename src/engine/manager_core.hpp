// The manager's logic between two ticks: leadership, progress of in-flight tasks, what to plan
// next.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/plan_store.hpp"
#include "engine/planner.hpp"
#include "engine/universe_summary.hpp"

namespace finstream::engine {

struct manager_options {
  day_t from = 0;
  std::optional<day_t> to; // fixed end date; empty = last closed trading day
  std::string timezone = "America/New_York";
  int schedule_minutes = 17 * 60 + 30; // daily run, local time in `timezone`
  planner_options planning;
};

struct manager_progress {
  std::uint64_t symbols = 0;
  std::uint64_t planned = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t in_flight = 0;
  bool leader = false;
  bool idle = false; // leader, nothing in flight, nothing left to plan
  day_t target_to = 0;
};

/// Plain class behind the manager actor; `tick` is called periodically on one thread.
/// Contract: tasks returned by `tick` are already recorded as planned in the store; the caller
/// dispatches each exactly once (a lost dispatch is re-planned when a later leader takes over).
class manager_core {
public:
  using universe_fn = std::function<std::vector<std::string>()>;

  manager_core(plan_store& store, universe_fn universe, manager_options opts);

  std::vector<fetch_task> tick(std::chrono::system_clock::time_point now);

  /// The caller could not dispatch `tasks`: they are no longer in flight and get planned again.
  void forget(const std::vector<fetch_task>& tasks);

  const manager_progress& progress() const { return progress_; }
  /// The universe (exclusions removed) by state, as of the last tick led by this manager.
  const universe_summary& summary() const { return summary_; }
  /// When the current target date was set (first tick as leader, or the daily run), and the next
  /// daily run (epoch when the target is fixed by `to`).
  std::chrono::system_clock::time_point target_set_at() const { return target_set_; }
  std::chrono::system_clock::time_point next_run() const { return next_run_; }

private:
  void update_target(std::chrono::system_clock::time_point now);

  plan_store& store_;
  universe_fn universe_;
  manager_options opts_;
  std::set<std::string> in_flight_;            // task ids
  std::vector<std::string> in_flight_symbols_; // parallel bookkeeping for completion checks
  std::chrono::system_clock::time_point next_run_{};
  std::chrono::system_clock::time_point target_set_{};
  universe_summary summary_;
  std::uint64_t term_ = 0;
  bool leader_ = false;
  manager_progress progress_;
};

} // namespace finstream::engine
