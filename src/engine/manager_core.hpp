// The manager's logic between two ticks: leadership, progress of in-flight tasks, what to plan
// next.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
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
  /// A task an agent started longer ago than this without completing is planned again (its
  /// batches were dead-lettered, its completion lost, ...). Counted from the agent's start
  /// (symbol_state.started_at), never from planning: waiting in the task topic does not count.
  std::int64_t task_deadline_ms = 30 * 60 * 1000;
  /// While dispatched tasks wait unstarted, how often the agents' committed offsets are read to
  /// find tasks whose message was passed without being started (see watch_task_queue).
  std::int64_t passed_check_ms = 10'000;
  /// The calendar's "now" at a real instant: the target date and the daily schedule follow it
  /// (task deadlines stay in real time). Empty = the real clock; a simulated calendar
  /// (core/sim_clock.hpp) runs a daily update every few seconds.
  std::function<std::chrono::system_clock::time_point(std::chrono::system_clock::time_point)>
      calendar_now;
};

/// Where a dispatched task's message was stored in the task topic (its delivery report).
struct task_position {
  std::string task_id;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

struct manager_progress {
  std::uint64_t symbols = 0;
  std::uint64_t planned = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t expired = 0; // tasks planned again because they passed their deadline
  std::uint64_t passed = 0;  // tasks planned again because the agents passed them unstarted
  /// Planning passes refused because another replica had become leader meanwhile (this one was
  /// deposed between confirming its lock and recording its tasks).
  std::uint64_t fenced = 0;
  bool leader = false;
  bool idle = false; // leader, nothing in flight, nothing left to plan (now or after a backoff)
  day_t target_to = 0;
};

/// Plain class behind the manager actor; `tick` is called periodically on one thread.
/// Contract: tasks returned by `tick` are already recorded as planned in the store; the caller
/// dispatches each exactly once (a lost dispatch is re-planned when a later leader takes over).
class manager_core {
public:
  using universe_fn = std::function<std::vector<std::string>()>;
  /// The agents' group's committed offsets on the task topic, by partition (partitions without a
  /// commit absent). Throws when they cannot be read.
  using committed_fn = std::function<std::map<std::int32_t, std::int64_t>()>;

  manager_core(plan_store& store, universe_fn universe, manager_options opts);

  std::vector<fetch_task> tick(std::chrono::system_clock::time_point now);

  /// The caller could not dispatch `tasks`: they are no longer in flight and get planned again.
  void forget(const std::vector<fetch_task>& tasks);

  /// The caller dispatched tasks to a partitioned queue (Kafka) and learnt where each was stored.
  /// Positions of tasks no longer in flight are ignored.
  void dispatched(const std::vector<task_position>& where);

  /// Detects tasks whose message the agents passed without starting it (offsets reset or skipped,
  /// a task message lost to retention): agents record a task's start (symbol_state.started_at)
  /// before they fetch and commit its offset after, so a committed offset beyond a task's
  /// position while the task is still unstarted means no agent will start it. Such a task is
  /// planned again at once, without waiting for a deadline. Read at most every passed_check_ms,
  /// and only while some dispatched task has no start; a read that fails is logged and retried
  /// at the next interval. (A start that an agent failed to record makes its task look passed:
  /// it is fetched twice, which is harmless downstream.)
  void watch_task_queue(committed_fn committed) { committed_ = std::move(committed); }

  const manager_progress& progress() const { return progress_; }
  /// The universe (exclusions removed) by state, as of the last tick led by this manager.
  const universe_summary& summary() const { return summary_; }
  /// When the current target date was set (first tick as leader, or the daily run), and the next
  /// daily run (epoch when the target is fixed by `to`).
  std::chrono::system_clock::time_point target_set_at() const { return target_set_; }
  std::chrono::system_clock::time_point next_run() const { return next_run_; }

private:
  void update_target(std::chrono::system_clock::time_point now);
  /// Takes tasks started by an agent more than task_deadline_ms ago out of flight (they are
  /// planned again in the same pass).
  void expire_overdue(const std::unordered_map<std::string, const symbol_status*>& by_symbol,
                      std::int64_t now_ms);
  /// Takes dispatched tasks the agents passed without starting them out of flight (see
  /// watch_task_queue); `committed` was read before `by_symbol`.
  void expire_passed(const std::unordered_map<std::string, const symbol_status*>& by_symbol,
                     const std::map<std::int32_t, std::int64_t>& committed);
  /// A free symbol whose planned task is not in flight here (left by an earlier term, or past its
  /// deadline) is planned again over at least its recorded range: a backfill planned just before
  /// a crash keeps its range instead of shrinking to what symbol_state says is missing.
  void cover_orphans(const plan_input& in,
                     const std::unordered_map<std::string, const symbol_status*>& by_symbol,
                     std::vector<fetch_task>& tasks) const;
  /// Adds the tasks of pending backfill requests to `tasks`. A request's symbol that is busy (in
  /// flight, or already planned in this pass) stays pending in the request, an excluded one is left
  /// out; the returned settlements are committed with the tasks (plan_store::mark_planned).
  std::vector<backfill_settlement> plan_backfills(const std::vector<std::string>& universe,
                                                  const std::set<std::string>& busy,
                                                  const std::set<std::string>& excluded,
                                                  const std::unordered_map<std::string,
                                                                           const symbol_status*>&
                                                      by_symbol,
                                                  std::vector<fetch_task>& tasks);

  plan_store& store_;
  universe_fn universe_;
  manager_options opts_;
  std::set<std::string> in_flight_;            // task ids
  std::vector<std::string> in_flight_symbols_; // parallel bookkeeping for completion checks
  std::chrono::system_clock::time_point next_run_{};
  std::chrono::system_clock::time_point target_set_{};
  universe_summary summary_;
  std::set<std::int64_t> waiting_backfills_; // requests logged as waiting for a busy symbol
  committed_fn committed_;
  std::map<std::string, task_position> positions_; // by task id, tasks in flight only
  std::int64_t last_committed_read_ms_ = 0;
  std::uint64_t term_ = 0;
  bool leader_ = false;
  manager_progress progress_;
};

} // namespace finstream::engine
