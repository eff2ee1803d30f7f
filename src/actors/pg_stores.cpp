// PostgreSQL implementations of the engine's storage interfaces (see pg_stores.hpp).
#include "actors/pg_stores.hpp"

#include <spdlog/spdlog.h>

#include "indicators/indicator_set.hpp"
#include "pg/backfill_store.hpp"
#include "pg/manager_store.hpp"
#include "pg/symbol_admin.hpp"
#include "pg/rate_limit.hpp"

namespace finstream::actors {

pg_history_store::pg_history_store(const std::string& dsn)
    : conn_(dsn) {}

std::optional<engine::stored_checkpoint>
pg_history_store::load_checkpoint(const std::string& symbol) {
  auto rows = pg::load_symbol_state(conn_, {symbol});
  if (rows.empty()) return std::nullopt;
  return engine::stored_checkpoint{static_cast<std::uint32_t>(rows.front().algo_version),
                                   std::move(rows.front().state)};
}

std::unordered_map<std::string, engine::stored_checkpoint>
pg_history_store::load_checkpoints(const std::vector<std::string>& symbols) {
  std::unordered_map<std::string, engine::stored_checkpoint> out;
  for (auto& row : pg::load_symbol_state(conn_, symbols))
    out.emplace(row.symbol, engine::stored_checkpoint{static_cast<std::uint32_t>(row.algo_version),
                                                      std::move(row.state)});
  return out;
}

std::vector<bar> pg_history_store::load_bars(const std::string& symbol) {
  return pg::load_bars(conn_, symbol);
}

std::vector<pg::partition_claim>
pg_history_store::claim(const std::string& group, const std::string& topic,
                        const std::vector<std::int32_t>& partitions) {
  return pg::claim_partitions(conn_, group, topic, partitions);
}

int pg_history_store::partition_layout(const std::string& group, const std::string& topic,
                                       int partitions) {
  return pg::record_partition_layout(conn_, group, topic, partitions);
}

std::optional<std::pair<std::string, std::int64_t>> pg_history_store::active_set() {
  auto s = pg::read_indicator_set(conn_);
  if (!s) return std::nullopt;
  return std::make_pair(s->spec, s->version);
}

std::vector<std::string> pg_history_store::fill_pending(std::int64_t version) {
  return pg::fill_pending_symbols(conn_, version);
}

pg_plan_store::pg_plan_store(const std::string& dsn)
    : conn_(dsn)
    , lock_(dsn, pg::manager_lock_name) {}

bool pg_plan_store::try_lead() {
  if (leading_ && lock_.is_held()) return true;
  leading_ = lock_.try_acquire();
  // A new term, before anything is read to plan from: a deposed leader's later planning is then
  // refused (mark_planned), or committed before this raise and seen by what this leader reads.
  if (leading_) term_ = pg::begin_leader_term(conn_);
  return leading_;
}

void pg_plan_store::resign() {
  lock_.release();
  leading_ = false;
}

std::vector<engine::symbol_status> pg_plan_store::load(const std::vector<std::string>& symbols) {
  std::vector<engine::symbol_status> out;
  for (auto& r : pg::read_symbol_states(conn_, symbols))
    out.push_back(to_symbol_status(std::move(r)));
  return out;
}

engine::symbol_status to_symbol_status(pg::symbol_state_row r) {
  engine::symbol_status st;
  st.symbol = std::move(r.symbol);
  st.first_date = r.first_date;
  st.last_date = r.last_date;
  st.status = std::move(r.status);
  st.planned_from = r.planned_from.value_or(0);
  st.planned_to = r.planned_to.value_or(0);
  st.task_id = std::move(r.task_id);
  st.attempts = r.attempts;
  st.permanent = r.permanent;
  st.updated_at_ms = r.updated_at * 1000;
  st.started_at_ms = r.started_at_ms;
  return st;
}

bool pg_plan_store::mark_planned(const std::vector<fetch_task>& tasks,
                                 const std::vector<engine::backfill_settlement>& backfills) {
  std::vector<pg::planned_task> rows;
  rows.reserve(tasks.size());
  for (const auto& t : tasks)
    rows.push_back({t.symbol, t.task_id, t.from, t.to});
  std::vector<pg::backfill_settlement> settle;
  for (const auto& b : backfills)
    settle.push_back({b.id, b.taken, b.remaining});
  return pg::mark_planned_settling(conn_, rows, settle, term_).has_value();
}

std::vector<engine::backfill_request> pg_plan_store::pending_backfills() {
  std::vector<engine::backfill_request> out;
  for (auto& r : pg::pending_backfill_requests(conn_))
    out.push_back({r.id, std::move(r.symbols), r.from, r.to});
  return out;
}

std::vector<std::string> pg_plan_store::excluded() {
  return pg::read_exclusions(conn_);
}

pg_shared_rate::pg_shared_rate(std::string dsn, std::string name, double rate, double burst)
    : dsn_(std::move(dsn))
    , name_(std::move(name))
    , rate_(rate)
    , burst_(burst) {}

steady_clock::duration pg_shared_rate::reserve() {
  if (!conn_) conn_.emplace(dsn_);
  return pg::reserve_token(*conn_, name_, rate_, burst_);
}

std::function<std::unique_ptr<shared_rate>()>
pg_shared_rate::factory(std::string dsn, std::string name, double rate, double burst) {
  return [=]() -> std::unique_ptr<shared_rate> {
    return std::make_unique<pg_shared_rate>(dsn, name, rate, burst);
  };
}

pg::batch to_pg_batch(const engine::commit_request& req) {
  pg::batch b;
  b.rows = req.output.rows;
  b.columns = req.output.columns;
  b.fills = req.output.fills;
  b.set_version = req.output.set_version;
  b.states.reserve(req.output.checkpoints.size());
  for (const auto& [symbol, bytes] : req.output.checkpoints) {
    pg::symbol_state_update s;
    s.symbol = symbol;
    s.algo_version = static_cast<std::int32_t>(indicators::indicator_set::algorithm_version);
    s.state = bytes;
    b.states.push_back(std::move(s));
  }
  for (const auto& o : req.output.outcomes) {
    pg::task_completion c;
    c.symbol = o.symbol;
    c.task_id = o.task_id;
    c.first_date = o.from;
    c.last_date = o.to;
    c.status = o.ok ? pg::task_status::done : pg::task_status::failed;
    c.error = o.error;
    c.permanent = o.permanent;
    c.throttled = o.throttled;
    b.completions.push_back(std::move(c));
  }
  for (const auto& o : req.offsets) {
    pg::offset_commit c;
    c.consumer_group = req.group;
    c.topic = o.topic;
    c.partition = o.partition;
    c.epoch = o.epoch;
    if (o.expected >= 0) c.expected_prev = o.expected;
    c.next = o.next;
    b.offsets.push_back(std::move(c));
  }
  return b;
}

pg_batch_writer::pg_batch_writer(const std::string& dsn)
    : sink_(dsn) {}

engine::commit_reply pg_batch_writer::write(const engine::commit_request& request) {
  engine::commit_reply reply;
  try {
    auto r = sink_.write(to_pg_batch(request));
    reply.seconds = std::chrono::duration<double>(r.latency).count();
    reply.rows = r.rows_written;
    reply.nulls = r.non_finite;
    switch (r.status) {
    case pg::write_status::committed:
    case pg::write_status::duplicate:
      reply.ok = true;
      break;
    case pg::write_status::fenced:
      reply.fenced = true;
      reply.error = r.detail;
      break;
    }
  } catch (const std::exception& e) {
    reply.error = e.what();
  }
  return reply;
}

} // namespace finstream::actors
