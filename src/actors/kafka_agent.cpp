// Kafka agent (see kafka_agent.hpp).
#include "actors/kafka_agent.hpp"

#include <optional>
#include <thread>

#include "core/log.hpp"

#include "actors/messages.hpp"
#include "engine/fetch_metrics.hpp"
#include "engine/task_batches.hpp"
#include "kafka/codec.hpp"
#include "kafka/consumer.hpp"
#include "kafka/dead_letter.hpp"
#include "kafka/error.hpp"
#include "pg/manager_store.hpp"
#include "sources/async_fetch.hpp"

namespace finstream::actors {

namespace {

constexpr auto delivery_timeout = std::chrono::seconds{60};
// How often an agent waiting for its fetch looks for a stop request.
constexpr auto stop_check_interval = std::chrono::milliseconds{50};
// How long a fetch runs before the agent pauses its partitions and polls beside it.
constexpr auto pause_after = std::chrono::seconds{1};

// Publishes a task's batches and waits until all are acknowledged; false when one was not.
bool publish(kafka::producer& p, const kafka_agent_config& cfg, std::vector<bar_batch>& batches) {
  auto tracker = std::make_shared<kafka::delivery_tracker>();
  std::string buf;
  for (const auto& b : batches) {
    buf.clear();
    kafka::encode(b, buf);
    p.produce(cfg.data_topic, b.symbol, buf, {}, tracker);
  }
  if (p.wait(*tracker, delivery_timeout)) return true;
  log::warn("agent", "publish_failed", {{"reason", tracker->first_error()}});
  return false;
}

/// Records that this agent starts `t` (symbol_state.started_at: the manager's deadline counts from
/// it). Best effort: a failure is logged and the fetch goes on (the task then has no deadline).
void record_start(std::optional<pg::connection>& db, const std::string& dsn, const fetch_task& t) {
  if (dsn.empty()) return;
  try {
    if (!db) db.emplace(dsn);
    pg::record_task_start(*db, t.symbol, t.task_id);
  } catch (const std::exception& e) {
    log::warn("agent", "task_start_not_recorded", {{"symbol", t.symbol}, {"reason", e.what()}});
  }
}

} // namespace

void kafka_agent(caf::blocking_actor* self, kafka_agent_config cfg) {
  bool running = true;
  std::shared_ptr<source> src = cfg.make_source();
  std::optional<pg::connection> db; // task start times (opened on first use)
  kafka::dead_letter dlq{*cfg.producer, {}, cfg.dlq_suffix};
  while (running) {
    try {
      kafka::consumer consumer{cfg.kafka, cfg.group};
      consumer.subscribe({cfg.task_topic});
      while (running) {
        self->receive([&](stop_atom) { running = false; },
                      caf::after(std::chrono::milliseconds{0}) >> [] {});
        if (!running) break;
        for (auto& r : consumer.poll(1, std::chrono::milliseconds{200})) {
          kafka::offset_map next{{r.where(), r.offset + 1}};
          auto task = kafka::decode_fetch_task(r.value);
          if (!task) {
            auto tracker = std::make_shared<kafka::delivery_tracker>();
            dlq.publish(r, task.error(), tracker);
            if (cfg.producer->wait(*tracker, delivery_timeout)) consumer.commit_sync(next);
            continue;
          }
          const auto& t = task.value();
          record_start(db, cfg.dsn, t);
          // The fetch runs on a thread of its own (async_fetch): the mailbox is checked between
          // short waits, so a stop is not held up by a long fetch (Retry-After, timeouts). A quick
          // fetch (most are) is simply awaited; one still running after a second gets the
          // partitions paused while this actor keeps polling, so that the agent keeps its place
          // in the group (max.poll.interval.ms) through retries and Retry-After waits (pausing
          // costs the pre-fetched records, hence not at once).
          async_fetch fetch{src, t.symbol, t.from, t.to};
          const auto fetch_started = std::chrono::steady_clock::now();
          bool paused = false;
          while (!fetch.wait_for(stop_check_interval)) {
            self->receive([&](stop_atom) { running = false; },
                          caf::after(std::chrono::milliseconds{0}) >> [] {});
            if (!running) break;
            if (!paused && std::chrono::steady_clock::now() - fetch_started >= pause_after) {
              consumer.pause_all();
              paused = true;
            }
            // Paused: nothing should come back; should something, it is consumed again later.
            if (paused)
              for (auto& early : consumer.poll(1, std::chrono::milliseconds{100}))
                consumer.seek(early.where(), early.offset);
          }
          if (!running) {
            // Not committed: once this member has left the group, the task is delivered to
            // another one. The fetch thread is left to finish alone (async_fetch).
            log::warn("agent", "fetch_abandoned", {{"symbol", t.symbol}});
            if (cfg.abandoned) ++*cfg.abandoned;
            break;
          }
          if (paused) consumer.resume_all();
          auto result = fetch.take();
          engine::record_fetch(t, result, src->kind());
          auto batches = engine::make_batches(t, std::move(result), cfg.batch_bars);
          if (publish(*cfg.producer, cfg, batches)) {
            consumer.commit_sync(next);
          } else {
            // Not committed: fetch and publish it again (duplicates are harmless downstream).
            consumer.seek(r.where(), r.offset);
          }
        }
      }
      consumer.close();
    } catch (const std::exception& e) {
      log::error("agent", "agent_session_failed", {{"reason", e.what()}});
      if (running)
        self->receive([&](stop_atom) { running = false; },
                      caf::after(std::chrono::seconds{1}) >> [] {});
    }
  }
  log::info("agent", "stopped");
}

} // namespace finstream::actors
