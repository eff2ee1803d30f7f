// Manager actor (see manager_actor.hpp).
#include "actors/manager_actor.hpp"

#include "core/log.hpp"

#include "metrics/metrics.hpp"

namespace finstream::actors {

namespace {

double day_seconds(std::optional<day_t> d) {
  return d ? static_cast<double>(*d) * 86400.0 : 0.0;
}

double epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/// The leader's view of the universe as gauges. A standby reports 0 everywhere, so that rules can
/// take max() over replicas (see monitoring/rules.yml).
struct universe_gauges {
  explicit universe_gauges(metrics::registry& reg)
      : pending(by_status(reg, "pending"))
      , planned(by_status(reg, "planned"))
      , done(by_status(reg, "done"))
      , failed(by_status(reg, "failed"))
      , failed_permanently(reg.gauge("finstream_universe_symbols_failed_permanently",
                                     "symbols of the universe whose failure is permanent (leader)"))
      , target(reg.gauge("finstream_universe_target_date_timestamp_seconds",
                         "the date the universe is fetched through (midnight UTC; leader)"))
      , complete(reg.gauge("finstream_universe_complete_date_timestamp_seconds",
                           "every symbol not failed permanently is stored through this date "
                           "(midnight UTC; 0 while some symbol has nothing; leader)"))
      , target_set(reg.gauge("finstream_manager_target_set_timestamp_seconds",
                             "when the leader set the current target date (daily run)"))
      , next_run(reg.gauge("finstream_manager_next_run_timestamp_seconds",
                           "the leader's next daily run (0 when the end date is fixed)")) {}

  static metrics::gauge& by_status(metrics::registry& reg, const char* status) {
    return reg.gauge("finstream_universe_symbols",
                     "symbols of the universe by state (leader; exclusions removed)",
                     {{"status", status}});
  }

  void update(const engine::manager_core& core) {
    const bool lead = core.progress().leader;
    const auto& s = core.summary();
    pending.set(lead ? static_cast<double>(s.pending) : 0);
    planned.set(lead ? static_cast<double>(s.planned) : 0);
    done.set(lead ? static_cast<double>(s.done) : 0);
    failed.set(lead ? static_cast<double>(s.failed) : 0);
    failed_permanently.set(lead ? static_cast<double>(s.failed_permanent) : 0);
    target.set(lead ? day_seconds(core.progress().target_to) : 0);
    complete.set(lead ? day_seconds(s.complete_through) : 0);
    target_set.set(lead ? epoch_seconds(core.target_set_at()) : 0);
    next_run.set(lead ? epoch_seconds(core.next_run()) : 0);
  }

  metrics::gauge &pending, &planned, &done, &failed, &failed_permanently, &target, &complete,
      &target_set, &next_run;
};

} // namespace

manager_actor::behavior_type manager(manager_actor::stateful_pointer<manager_state> self,
                                     manager_config cfg) {
  self->state.core = std::make_unique<engine::manager_core>(*cfg.store, cfg.universe, cfg.options);
  if (cfg.task_queue) self->state.core->watch_task_queue(cfg.task_queue);
  auto& reg = metrics::registry::global();
  auto& planned =
      reg.counter("finstream_tasks_planned_total", "tasks planned by the leader manager");
  auto& leader =
      reg.gauge("finstream_manager_leader", "1 while this process hosts the leader manager");
  auto& in_flight = reg.gauge("finstream_tasks_in_flight", "tasks planned and not yet completed");
  auto universe = std::make_shared<universe_gauges>(reg);
  auto& expired = reg.counter("finstream_tasks_expired_total",
                              "tasks planned again because an agent started them longer than "
                              "manager.task_deadline_ms ago and they did not complete");
  auto& passed = reg.counter("finstream_tasks_passed_total",
                             "tasks planned again because the agents' committed offset passed "
                             "their message while no agent had started them");
  auto& fenced = reg.counter("finstream_manager_fenced_total",
                             "planning passes refused because another replica became leader "
                             "after this one confirmed its lock (log leader_fenced)");
  self->send(self, caf::tick_atom_v);
  // The store's leadership lock is released when the actor goes away (its connection closes).
  self->attach_functor([store = cfg.store] {
    try {
      store->resign();
    } catch (const std::exception&) {
    }
  });
  return {
      [=, &planned, &leader, &in_flight, &expired, &passed, &fenced](caf::tick_atom) {
        std::vector<fetch_task> tasks;
        try {
          tasks = self->state.core->tick(std::chrono::system_clock::now());
        } catch (const std::exception& e) {
          log::warn("manager", "plan_failed", {{"reason", e.what()}});
        }
        if (!tasks.empty()) {
          if (cfg.publish) {
            try {
              self->state.core->dispatched(cfg.publish(tasks));
            } catch (const std::exception& e) {
              log::warn("manager", "publish_failed",
                        {{"tasks", tasks.size()}, {"reason", e.what()}});
              self->state.core->forget(tasks);
              tasks.clear();
            }
          } else {
            self->state.queue.insert(self->state.queue.end(), tasks.begin(), tasks.end());
          }
          planned.inc(static_cast<double>(tasks.size()));
        }
        const auto& p = self->state.core->progress();
        leader.set(p.leader ? 1 : 0);
        universe->update(*self->state.core);
        if (p.expired > self->state.expired_counted) {
          expired.inc(static_cast<double>(p.expired - self->state.expired_counted));
          self->state.expired_counted = p.expired;
        }
        if (p.passed > self->state.passed_counted) {
          passed.inc(static_cast<double>(p.passed - self->state.passed_counted));
          self->state.passed_counted = p.passed;
        }
        if (p.fenced > self->state.fenced_counted) {
          fenced.inc(static_cast<double>(p.fenced - self->state.fenced_counted));
          self->state.fenced_counted = p.fenced;
        }
        in_flight.set(static_cast<double>(p.in_flight));
        self->delayed_send(self, cfg.poll, caf::tick_atom_v);
      },
      [=](get_task_atom) {
        // At most one task: an agent holds one task at a time (bounded work in flight).
        std::vector<fetch_task> out;
        auto& q = self->state.queue;
        if (!q.empty()) {
          out.push_back(std::move(q.front()));
          q.pop_front();
        }
        return out;
      },
      [=](progress_atom) { return self->state.core->progress(); },
  };
}

} // namespace finstream::actors
