// The engine's storage interfaces (history_store, plan_store, batch_writer) on PostgreSQL.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/commit.hpp"
#include "engine/plan_store.hpp"
#include "engine/symbol_processor.hpp"
#include "pg/connection.hpp"
#include "pg/indicator_sets.hpp"
#include "pg/leader_lock.hpp"
#include "pg/manager_store.hpp"
#include "pg/processor_store.hpp"
#include "pg/sink.hpp"
#include "sources/limits.hpp"

namespace finstream::actors {

/// A processor's reads: checkpoints, stored bars, partition claims. Owns one connection.
class pg_history_store : public engine::history_store {
public:
  explicit pg_history_store(const std::string& dsn);
  std::optional<engine::stored_checkpoint> load_checkpoint(const std::string& symbol) override;
  std::unordered_map<std::string, engine::stored_checkpoint>
  load_checkpoints(const std::vector<std::string>& symbols) override;
  std::vector<bar> load_bars(const std::string& symbol) override;
  std::vector<pg::partition_claim> claim(const std::string& group, const std::string& topic,
                                         const std::vector<std::int32_t>& partitions);
  /// pg::record_partition_layout on this store's connection.
  int partition_layout(const std::string& group, const std::string& topic, int partitions);
  /// pg::read_indicator_set on this store's connection.
  std::optional<std::pair<std::string, std::int64_t>> active_set() override;
  /// pg::fill_pending_symbols on this store's connection.
  std::vector<std::string> fill_pending(std::int64_t version);
  /// The store's connection, for the processor's other statements (retention overruns).
  pg::connection& connection() { return conn_; }

private:
  pg::connection conn_;
};

/// The manager's storage: leadership (advisory lock on its own connection), symbol_state,
/// backfill requests.
class pg_plan_store : public engine::plan_store {
public:
  explicit pg_plan_store(const std::string& dsn);
  bool try_lead() override;
  void resign() override;
  std::vector<engine::symbol_status> load(const std::vector<std::string>& symbols) override;
  bool mark_planned(const std::vector<fetch_task>& tasks,
                    const std::vector<engine::backfill_settlement>& backfills) override;
  std::vector<engine::backfill_request> pending_backfills() override;
  std::vector<std::string> excluded() override;

private:
  pg::connection conn_;
  pg::leader_lock lock_;
  bool leading_ = false;
  std::int64_t term_ = 0; // the leader term begun when the lock was taken (pg::begin_leader_term)
};

/// The deployment-wide request rate of a source: a token bucket in PostgreSQL (pg::reserve_token)
/// named after the host, one connection per source instance, opened on first use.
class pg_shared_rate : public shared_rate {
public:
  pg_shared_rate(std::string dsn, std::string name, double rate, double burst);
  steady_clock::duration reserve() override;
  /// For yahoo_options::make_shared_rate.
  static std::function<std::unique_ptr<shared_rate>()> factory(std::string dsn, std::string name,
                                                              double rate, double burst);

private:
  std::string dsn_, name_;
  double rate_, burst_;
  std::optional<pg::connection> conn_;
};

/// Commits processor output through pg::sink: one transaction per request.
class pg_batch_writer : public engine::batch_writer {
public:
  explicit pg_batch_writer(const std::string& dsn);
  engine::commit_reply write(const engine::commit_request& request) override;

private:
  pg::sink sink_;
};

/// A symbol_state row as the planner sees it (the one place the two shapes meet).
engine::symbol_status to_symbol_status(pg::symbol_state_row row);

/// Maps a processor's request to the storage layer's batch (the one place the two shapes meet).
pg::batch to_pg_batch(const engine::commit_request& request);

} // namespace finstream::actors
