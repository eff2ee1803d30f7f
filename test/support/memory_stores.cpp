// In-memory stores for engine and actor tests (see memory_stores.hpp).
#include "support/memory_stores.hpp"

#include <algorithm>

namespace finstream::test {

std::vector<engine::symbol_status>
memory_plan_store::load(const std::vector<std::string>& symbols) {
  std::vector<engine::symbol_status> out;
  for (const auto& s : symbols)
    if (auto i = rows.find(s); i != rows.end()) out.push_back(i->second);
  return out;
}

bool memory_plan_store::mark_planned(const std::vector<fetch_task>& tasks,
                                     const std::vector<engine::backfill_settlement>& settled) {
  if (deposed) return false;
  for (const auto& t : tasks) {
    auto& st = rows[t.symbol];
    st.symbol = t.symbol;
    if (st.planned_from != t.from || st.planned_to != t.to) st.attempts = 0;
    st.status = "planned";
    st.task_id = t.task_id;
    st.planned_from = t.from;
    st.planned_to = t.to;
    st.updated_at_ms = now_ms;
    st.started_at_ms = 0;
  }
  for (const auto& s : settled) {
    auto it = std::find_if(backfills.begin(), backfills.end(),
                           [&](const engine::backfill_request& r) { return r.id == s.id; });
    if (it == backfills.end()) continue;
    if (s.taken)
      backfills.erase(it);
    else
      it->symbols = s.remaining;
  }
  return true;
}

std::vector<engine::backfill_request> memory_plan_store::pending_backfills() {
  return backfills;
}

void memory_plan_store::complete(const engine::task_outcome& o) {
  auto& st = rows[o.symbol];
  st.symbol = o.symbol;
  st.task_id = o.task_id;
  st.updated_at_ms = now_ms;
  if (o.ok) {
    st.status = "done";
    st.first_date = st.first_date ? std::min(*st.first_date, o.from) : o.from;
    st.last_date = st.last_date ? std::max(*st.last_date, o.to) : o.to;
    st.attempts = 0;
    st.permanent = false;
  } else {
    st.status = "failed";
    if (!o.throttled) st.attempts += 1;
    st.permanent = o.permanent;
  }
}

std::optional<engine::stored_checkpoint>
memory_history_store::load_checkpoint(const std::string& symbol) {
  auto i = checkpoints.find(symbol);
  if (i == checkpoints.end()) return std::nullopt;
  return i->second;
}

std::vector<bar> memory_history_store::load_bars(const std::string& symbol) {
  std::vector<bar> out;
  if (auto i = rows.find(symbol); i != rows.end())
    for (const auto& [d, r] : i->second)
      out.push_back(r.b);
  return out;
}

void memory_history_store::commit(const engine::pending_output& out, std::uint32_t algo_version) {
  for (const auto& f : out.fills)
    for (const auto& r : f.rows) {
      auto s = rows.find(r.symbol);
      if (s == rows.end() || !s->second.count(r.b.date)) continue;
      for (std::size_t i = 0; i < f.columns.size(); ++i)
        cells[r.symbol][r.b.date][f.columns[i]] = r.values[i];
    }
  for (const auto& r : out.rows) {
    rows[r.symbol][r.b.date] = r;
    for (std::size_t i = 0; i < out.columns.size() && i < r.values.size(); ++i)
      cells[r.symbol][r.b.date][out.columns[i]] = r.values[i];
  }
  for (const auto& [symbol, bytes] : out.checkpoints)
    checkpoints[symbol] = {algo_version, bytes};
}

} // namespace finstream::test
