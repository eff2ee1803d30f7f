// In-memory plan_store and history_store for tests of the engine and of the actors' wiring. They
// follow the PostgreSQL stores' contracts (test/pg checks those against the real server).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/indicator_row.hpp"
#include "engine/plan_store.hpp"
#include "engine/symbol_processor.hpp"

namespace finstream::test {

class memory_plan_store : public engine::plan_store {
public:
  bool lead = true;
  std::map<std::string, engine::symbol_status> rows;
  std::vector<engine::backfill_request> backfills; // pending requests
  std::int64_t now_ms = 0;

  bool try_lead() override { return lead; }
  void resign() override { lead = false; }
  std::vector<engine::symbol_status> load(const std::vector<std::string>& symbols) override;
  /// false (nothing written) while `deposed`: another replica has led since try_lead().
  bool mark_planned(const std::vector<fetch_task>& tasks,
                    const std::vector<engine::backfill_settlement>& settled) override;
  bool deposed = false;
  std::vector<engine::backfill_request> pending_backfills() override;
  std::vector<std::string> exclusions;
  std::vector<std::string> excluded() override { return exclusions; }

  /// What a processor's commit does to symbol_state for a task outcome.
  void complete(const engine::task_outcome& o);
};

class memory_history_store : public engine::history_store {
public:
  std::map<std::string, engine::stored_checkpoint> checkpoints;
  std::map<std::string, std::map<day_t, indicator_row>> rows;
  /// The indicator values as the table holds them: symbol → date → column → value (rows set the
  /// columns they carry, fills only theirs, on rows already stored).
  std::map<std::string, std::map<day_t, std::map<std::string, double>>> cells;
  std::optional<std::pair<std::string, std::int64_t>> set; // active_set()

  std::optional<std::pair<std::string, std::int64_t>> active_set() override { return set; }

  std::optional<engine::stored_checkpoint> load_checkpoint(const std::string& symbol) override;
  std::vector<bar> load_bars(const std::string& symbol) override;

  /// Applies a commit: upsert rows, replace checkpoints.
  void commit(const engine::pending_output& out, std::uint32_t algo_version);
};

} // namespace finstream::test
