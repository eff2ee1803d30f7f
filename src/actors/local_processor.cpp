// In-process processor actor (see local_processor.hpp).
#include "actors/local_processor.hpp"

#include "core/log.hpp"

#include "actors/local_agent.hpp"
#include "actors/processor_metrics.hpp"

namespace finstream::actors {

namespace {

// How often an idle processor looks for symbols left to fill, and how many it fills per commit
// (the Kafka processors' figures).
constexpr auto fill_scan_interval = std::chrono::seconds{5};
constexpr auto fill_tick = std::chrono::milliseconds{500};
constexpr std::size_t fills_per_commit = 16;

} // namespace

processor_actor::behavior_type
local_processor(processor_actor::stateful_pointer<local_processor_state> self,
                local_processor_config cfg) {
  auto& st = self->state;
  st.store = cfg.store;
  // The active set stored in PostgreSQL (read once: local mode does not follow changes while it
  // runs), else the configured one.
  auto stored = st.store->active_set();
  st.proc = std::make_unique<engine::symbol_processor>(
      stored ? indicators::indicator_set::parse(stored->first) : cfg.indicators, *st.store,
      cfg.options.max_cached, cfg.options.revision_window, stored ? stored->second : 0);
  auto opts = cfg.options;
  auto sink = cfg.sink;
  auto done_flushing = [=] {
    auto& s = self->state;
    if (s.inflight == 0 && s.pending.empty() && s.waiting.empty()) {
      for (auto& rp : s.flush_waiters)
        rp.deliver(true);
      s.flush_waiters.clear();
    }
  };
  st.flush = [self, sink, done_flushing] {
    auto& s = self->state;
    if (s.pending.empty()) return;
    engine::commit_request req;
    req.output = std::move(s.pending);
    s.pending.clear();
    ++s.inflight;
    const auto generation = s.proc->seal();
    self->request(sink, caf::infinite, std::move(req))
        .then(
            [=](const engine::commit_reply& r) {
              auto& s = self->state;
              --s.inflight;
              if (!r.ok) {
                log::error("processor", "commit_failed", {{"reason", r.error}});
                self->quit(caf::make_error(caf::sec::runtime_error, r.error));
                return;
              }
              // The states this commit settled may go (later commits may be in flight).
              s.proc->committed(generation);
              s.drain();
              done_flushing();
            },
            [=](const caf::error& e) {
              log::error("processor", "commit_failed", {{"reason", caf::to_string(e)}});
              self->quit(e);
            });
  };
  st.fill = [self, cfg] {
    auto& s = self->state;
    if (!cfg.fill_pending || !s.waiting.empty() || !s.pending.empty() || s.inflight > 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (s.fill_queue.empty()) {
      if (now < s.next_fill_scan) return;
      s.next_fill_scan = now + fill_scan_interval;
      // A set changed while this process runs: switch at this idle moment (nothing uncommitted).
      if (auto stored = s.store->active_set(); stored && stored->second != s.proc->set_version()) {
        s.proc->set_indicators(indicators::indicator_set::parse(stored->first), stored->second);
        log::info("processor", "indicator_set_changed",
                  {{"version", stored->second}, {"spec", stored->first}});
      }
      if (s.proc->set_version() == 0) return; // no stored set: nothing is ever listed
      for (auto& symbol : cfg.fill_pending(s.proc->set_version()))
        if (processor_index(symbol, cfg.count) == cfg.index)
          s.fill_queue.push_back(std::move(symbol));
    }
    std::size_t filled = 0;
    while (!s.fill_queue.empty() && filled < fills_per_commit) {
      const std::string symbol = std::move(s.fill_queue.front());
      s.fill_queue.pop_front();
      if (s.proc->fill(symbol, s.pending)) ++filled;
    }
    s.flush();
  };
  st.drain = [self, opts] {
    auto& s = self->state;
    while (!s.waiting.empty() && s.inflight < opts.max_inflight) {
      auto& [batch, rp] = s.waiting.front();
      if (s.proc->needs_history(batch) && (!s.pending.empty() || s.inflight > 0)) {
        // A recompute reads the symbol's history from the store: commit everything first.
        s.flush();
        break;
      }
      s.proc->process(batch, s.pending);
      processor_metrics::get().bars_consumed(batch.bars.size());
      rp.deliver(true);
      s.waiting.pop_front();
      if (s.pending.rows.size() >= opts.batch_rows) s.flush();
    }
    if (!s.pending.empty() && !s.timer_armed) {
      s.timer_armed = true;
      self->delayed_send(self, opts.batch_time, caf::tick_atom_v);
    }
  };
  self->delayed_send(self, fill_tick, fill_atom_v);
  return {
      [=](bar_batch& batch) {
        auto rp = self->make_response_promise<bool>();
        self->state.waiting.emplace_back(std::move(batch), rp);
        self->state.drain();
        return rp;
      },
      [=](caf::flush_atom) {
        auto rp = self->make_response_promise<bool>();
        self->state.flush_waiters.push_back(rp);
        self->state.flush();
        done_flushing();
        return rp;
      },
      [=](caf::tick_atom) {
        auto& s = self->state;
        s.timer_armed = false;
        if (s.inflight < opts.max_inflight) s.flush();
        s.drain();
      },
      [=](fill_atom) {
        self->state.fill();
        self->delayed_send(self, fill_tick, fill_atom_v);
      },
  };
}

} // namespace finstream::actors
