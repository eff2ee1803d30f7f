// In-process agent actor (see local_agent.hpp).
#include "actors/local_agent.hpp"

#include "core/hash.hpp"

#include "core/log.hpp"

#include "engine/fetch_metrics.hpp"
#include "engine/task_batches.hpp"

namespace finstream::actors {

std::size_t processor_index(const std::string& symbol, std::size_t n) {
  // Stable across runs, unlike std::hash, so logs and tests can predict the routing.
  return static_cast<std::size_t>(fnv1a64(symbol) % n);
}

agent_actor::behavior_type local_agent(agent_actor::stateful_pointer<local_agent_state> self,
                                       local_agent_config cfg) {
  self->state.src = cfg.make_source();
  // Sends the outbox's head; the processor's reply (withheld while it is behind) paces the agent.
  self->state.send_next = [self, cfg] {
    auto& out = self->state.outbox;
    if (out.empty()) {
      self->send(self, next_atom_v);
      return;
    }
    const auto& b = out.front();
    auto p = cfg.processors[processor_index(b.symbol, cfg.processors.size())];
    self->request(p, caf::infinite, b)
        .then(
            [=](bool) {
              self->state.outbox.pop_front();
              self->state.send_next();
            },
            [=](const caf::error& e) {
              log::error("agent", "handoff_failed", {{"reason", caf::to_string(e)}});
              self->quit(e);
            });
  };
  return {
      [=](next_atom) {
        if (!self->state.outbox.empty()) {
          self->state.send_next();
          return;
        }
        self->request(cfg.manager, caf::infinite, get_task_atom_v)
            .then(
                [=](const std::vector<fetch_task>& got) {
                  if (got.empty()) {
                    self->delayed_send(self, cfg.idle_wait, next_atom_v);
                    return;
                  }
                  const auto* t = &got.front();
                  auto result = self->state.src->fetch(t->symbol, t->from, t->to);
                  engine::record_fetch(*t, result, self->state.src->kind());
                  auto batches = engine::make_batches(*t, std::move(result), cfg.batch_bars);
                  self->state.outbox.assign(std::make_move_iterator(batches.begin()),
                                            std::make_move_iterator(batches.end()));
                  self->state.send_next();
                },
                [=](const caf::error& e) {
                  log::warn("agent", "get_task_failed", {{"reason", caf::to_string(e)}});
                  self->delayed_send(self, cfg.idle_wait, next_atom_v);
                });
      },
  };
}

} // namespace finstream::actors
