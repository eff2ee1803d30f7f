// Manager actor (see manager_actor.hpp).
#include "actors/manager_actor.hpp"

#include "core/log.hpp"

#include "metrics/metrics.hpp"

namespace finstream::actors {

manager_actor::behavior_type manager(manager_actor::stateful_pointer<manager_state> self,
                                     manager_config cfg) {
  self->state.core = std::make_unique<engine::manager_core>(*cfg.store, cfg.universe, cfg.options);
  auto& reg = metrics::registry::global();
  auto& planned =
      reg.counter("finstream_tasks_planned_total", "tasks planned by the leader manager");
  auto& leader =
      reg.gauge("finstream_manager_leader", "1 while this process hosts the leader manager");
  auto& in_flight = reg.gauge("finstream_tasks_in_flight", "tasks planned and not yet completed");
  auto& expired = reg.counter("finstream_tasks_expired_total",
                              "tasks planned again because an agent started them longer than "
                              "manager.task_deadline_ms ago and they did not complete");
  self->send(self, caf::tick_atom_v);
  // The store's leadership lock is released when the actor goes away (its connection closes).
  self->attach_functor([store = cfg.store] {
    try {
      store->resign();
    } catch (const std::exception&) {
    }
  });
  return {
      [=, &planned, &leader, &in_flight, &expired](caf::tick_atom) {
        std::vector<fetch_task> tasks;
        try {
          tasks = self->state.core->tick(std::chrono::system_clock::now());
        } catch (const std::exception& e) {
          log::warn("manager", "plan_failed", {{"reason", e.what()}});
        }
        if (!tasks.empty()) {
          if (cfg.publish) {
            try {
              cfg.publish(tasks);
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
        if (p.expired > self->state.expired_counted) {
          expired.inc(static_cast<double>(p.expired - self->state.expired_counted));
          self->state.expired_counted = p.expired;
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
