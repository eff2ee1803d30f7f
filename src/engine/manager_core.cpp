// Manager logic (see manager_core.hpp).
#include "engine/manager_core.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "core/log.hpp"

#include "engine/calendar.hpp"

namespace finstream::engine {

manager_core::manager_core(plan_store& store, universe_fn universe, manager_options opts)
    : store_(store)
    , universe_(std::move(universe))
    , opts_(std::move(opts)) {}

void manager_core::update_target(std::chrono::system_clock::time_point now) {
  if (opts_.to) {
    if (progress_.target_to != *opts_.to) target_set_ = now;
    progress_.target_to = *opts_.to;
    return;
  }
  // Without a fixed end, the target is the last closed trading day, advanced at each daily run.
  if (progress_.target_to == 0 || now >= next_run_) {
    progress_.target_to = last_closed_trading_day(now, opts_.timezone);
    target_set_ = now;
    next_run_ = next_daily_run(now, opts_.timezone, opts_.schedule_minutes);
    log::info("manager", "schedule",
              {{"target_to", format_date(progress_.target_to)},
               {"next_run_in_s",
                std::chrono::duration_cast<std::chrono::seconds>(next_run_ - now).count()}});
  }
}

std::vector<fetch_task> manager_core::tick(std::chrono::system_clock::time_point now) {
  bool leader = store_.try_lead();
  if (leader != leader_) {
    log::info("manager", leader ? "leader_acquired" : "leader_lost");
    leader_ = leader;
    // A new term starts from symbol_state alone: whatever the previous term had in flight is
    // planned again (processing is idempotent).
    in_flight_.clear();
    in_flight_symbols_.clear();
    positions_.clear();
    ++term_;
  }
  progress_.leader = leader;
  if (!leader) {
    progress_.idle = false;
    return {};
  }
  update_target(opts_.calendar_now ? opts_.calendar_now(now) : now);
  auto universe = universe_();
  // Operator exclusions win over the universe file (and over backfill requests, below).
  const auto dropped = store_.excluded();
  const std::set<std::string> excluded(dropped.begin(), dropped.end());
  universe.erase(std::remove_if(universe.begin(), universe.end(),
                                [&](const std::string& s) { return excluded.count(s) > 0; }),
                 universe.end());
  progress_.symbols = universe.size();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  // Read before symbol_state (below): an offset committed past a task at this moment, with the
  // task still unstarted in the state read after it, means the task was passed.
  std::optional<std::map<std::int32_t, std::int64_t>> committed;
  if (committed_ && !positions_.empty() &&
      now_ms - last_committed_read_ms_ >= opts_.passed_check_ms) {
    last_committed_read_ms_ = now_ms;
    try {
      committed = committed_();
    } catch (const std::exception& e) {
      log::warn("manager", "task_queue_unreadable", {{"reason", e.what()}});
    }
  }
  if (!excluded.empty()) {
    // A dropped symbol's outstanding task is no longer waited for: its outcome may never be
    // recorded (a purge drops it). Task ids start with "<symbol>:" (symbols hold no ':').
    std::vector<std::string> kept;
    for (const auto& symbol : in_flight_symbols_) {
      if (!excluded.count(symbol)) {
        kept.push_back(symbol);
        continue;
      }
      const std::string prefix = symbol + ":";
      for (auto it = in_flight_.lower_bound(prefix);
           it != in_flight_.end() && it->compare(0, prefix.size(), prefix) == 0;)
        it = in_flight_.erase(it);
    }
    in_flight_symbols_.swap(kept);
  }
  auto state = store_.load(universe);
  summary_ = summarize(universe, state);

  // Completion of in-flight tasks: the processors record it in symbol_state with the task's id.
  std::unordered_map<std::string, const symbol_status*> by_symbol;
  for (const auto& st : state)
    by_symbol.emplace(st.symbol, &st);
  std::vector<std::string> still_symbols;
  for (const auto& symbol : in_flight_symbols_) {
    auto it = by_symbol.find(symbol);
    bool finished = false;
    if (it != by_symbol.end() && in_flight_.count(it->second->task_id) &&
        (it->second->status == "done" || it->second->status == "failed")) {
      finished = true;
      in_flight_.erase(it->second->task_id);
      if (it->second->status == "done")
        ++progress_.done;
      else
        ++progress_.failed;
    }
    if (!finished) still_symbols.push_back(symbol);
  }
  in_flight_symbols_.swap(still_symbols);

  expire_overdue(by_symbol, now_ms);
  if (committed) expire_passed(by_symbol, *committed);
  plan_input in;
  in.universe = universe;
  in.from = opts_.from;
  in.to = progress_.target_to;
  in.now_ms = now_ms;
  in.epoch = std::to_string(now_ms) + "." + std::to_string(term_);
  in.in_flight = in_flight_;
  // A symbol with a task in flight gets no second one, whatever its state says.
  std::set<std::string> busy(in_flight_symbols_.begin(), in_flight_symbols_.end());
  std::vector<std::string> free_universe;
  for (const auto& s : universe)
    if (!busy.count(s)) free_universe.push_back(s);
  in.universe = std::move(free_universe);
  auto tasks = plan_tasks(in, state, opts_.planning);
  cover_orphans(in, by_symbol, tasks);
  auto settled = plan_backfills(universe, busy, excluded, by_symbol, tasks);
  // Every task of this pass carries its planning time: a task planned again after this one
  // expired asks the source later, and processors let only the newer answer revise stored rows.
  for (auto& t : tasks)
    t.generation = now_ms;

  if (!tasks.empty() || !settled.empty()) {
    if (!store_.mark_planned(tasks, settled)) {
      // Deposed between try_lead() and now (e.g. paused while its lock session was ended): a
      // newer leader plans from symbol_state, which this term's writes never touched. Give the
      // lock up; the next tick starts over as a standby.
      log::warn("manager", "leader_fenced", {{"tasks_dropped", tasks.size()}});
      ++progress_.fenced;
      store_.resign();
      leader_ = false;
      progress_.leader = false;
      progress_.idle = false;
      in_flight_.clear();
      in_flight_symbols_.clear();
      positions_.clear();
      progress_.in_flight = 0;
      return {};
    }
    for (const auto& t : tasks) {
      in_flight_.insert(t.task_id);
      in_flight_symbols_.push_back(t.symbol);
    }
    progress_.planned += tasks.size();
    if (!tasks.empty())
      log::info("manager", "planned",
                {{"tasks", tasks.size()}, {"to", format_date(progress_.target_to)}});
  }
  progress_.in_flight = in_flight_.size();
  for (auto it = positions_.begin(); it != positions_.end();)
    it = in_flight_.count(it->first) ? std::next(it) : positions_.erase(it);
  // A symbol whose transient failure waits for its backoff (a throttled one always does) is work
  // left to plan: not idle.
  const bool retry_pending = std::any_of(state.begin(), state.end(), [&](const symbol_status& st) {
    return st.status == "failed" && !st.permanent && st.attempts < opts_.planning.max_attempts &&
           missing_range(&st, opts_.from, progress_.target_to).has_value();
  });
  progress_.idle = in_flight_.empty() && tasks.empty() && !retry_pending;
  return tasks;
}

void manager_core::expire_overdue(
    const std::unordered_map<std::string, const symbol_status*>& by_symbol, std::int64_t now_ms) {
  std::vector<std::string> still;
  for (const auto& symbol : in_flight_symbols_) {
    auto it = by_symbol.find(symbol);
    const symbol_status* st = it == by_symbol.end() ? nullptr : it->second;
    if (st != nullptr && st->status == "planned" && in_flight_.count(st->task_id) &&
        st->started_at_ms > 0 && now_ms - st->started_at_ms > opts_.task_deadline_ms) {
      // No longer in flight: plan_tasks plans it again (cover_orphans keeps its range).
      in_flight_.erase(st->task_id);
      ++progress_.expired;
      log::warn("manager", "task_deadline_passed",
                {{"symbol", symbol},
                 {"task_id", st->task_id},
                 {"started_s_ago", (now_ms - st->started_at_ms) / 1000}});
      continue;
    }
    still.push_back(symbol);
  }
  in_flight_symbols_.swap(still);
}

void manager_core::expire_passed(
    const std::unordered_map<std::string, const symbol_status*>& by_symbol,
    const std::map<std::int32_t, std::int64_t>& committed) {
  std::vector<std::string> still;
  for (const auto& symbol : in_flight_symbols_) {
    auto it = by_symbol.find(symbol);
    const symbol_status* st = it == by_symbol.end() ? nullptr : it->second;
    auto pos = st == nullptr ? positions_.end() : positions_.find(st->task_id);
    if (st != nullptr && st->status == "planned" && st->started_at_ms == 0 &&
        in_flight_.count(st->task_id) && pos != positions_.end()) {
      auto c = committed.find(pos->second.partition);
      if (c != committed.end() && c->second > pos->second.offset) {
        // No longer in flight: plan_tasks plans it again (cover_orphans keeps its range).
        in_flight_.erase(st->task_id);
        ++progress_.passed;
        log::warn("manager", "task_passed_unstarted",
                  {{"symbol", symbol},
                   {"task_id", st->task_id},
                   {"partition", pos->second.partition},
                   {"offset", pos->second.offset},
                   {"committed", c->second}});
        positions_.erase(pos);
        continue;
      }
    }
    still.push_back(symbol);
  }
  in_flight_symbols_.swap(still);
}

void manager_core::dispatched(const std::vector<task_position>& where) {
  for (const auto& p : where)
    if (in_flight_.count(p.task_id)) positions_[p.task_id] = p;
}

void manager_core::cover_orphans(
    const plan_input& in, const std::unordered_map<std::string, const symbol_status*>& by_symbol,
    std::vector<fetch_task>& tasks) const {
  for (const auto& symbol : in.universe) {
    auto it = by_symbol.find(symbol);
    if (it == by_symbol.end()) continue;
    const symbol_status& st = *it->second;
    if (st.status != "planned" || in.in_flight.count(st.task_id) || st.planned_from == 0 ||
        st.planned_from > st.planned_to)
      continue;
    auto t = std::find_if(tasks.begin(), tasks.end(),
                          [&](const fetch_task& x) { return x.symbol == symbol; });
    if (t == tasks.end()) {
      tasks.emplace_back();
      t = std::prev(tasks.end());
      t->symbol = symbol;
      t->from = st.planned_from;
      t->to = st.planned_to;
    }
    t->from = std::min(t->from, st.planned_from);
    t->to = std::max(t->to, st.planned_to);
    t->task_id = symbol + ":" + format_date(t->from) + ":" + format_date(t->to) + ":" + in.epoch;
  }
}

std::vector<backfill_settlement> manager_core::plan_backfills(
    const std::vector<std::string>& universe, const std::set<std::string>& busy,
    const std::set<std::string>& excluded,
    const std::unordered_map<std::string, const symbol_status*>& by_symbol,
    std::vector<fetch_task>& tasks) {
  std::vector<backfill_settlement> settled;
  for (const auto& req : store_.pending_backfills()) {
    const auto& symbols = req.symbols.empty() ? universe : req.symbols;
    // The states of requested symbols outside the universe (not loaded by the tick).
    std::vector<std::string> unknown;
    for (const auto& s : symbols)
      if (!by_symbol.count(s) && !excluded.count(s)) unknown.push_back(s);
    std::vector<symbol_status> extra;
    if (!unknown.empty()) extra = store_.load(unknown);
    const auto status_of = [&](const std::string& s) -> const symbol_status* {
      if (auto it = by_symbol.find(s); it != by_symbol.end()) return it->second;
      for (const auto& st : extra)
        if (st.symbol == s) return &st;
      return nullptr;
    };
    std::vector<std::string> remaining;
    std::size_t planned = 0;
    for (const auto& s : symbols) {
      // A symbol with a task in flight, or one planned in this pass, keeps its part of the
      // request pending: it is planned by a later pass, once the symbol is free.
      if (excluded.count(s)) continue; // dropped by an operator: never planned
      if (busy.count(s) || std::any_of(tasks.begin(), tasks.end(),
                                       [&](const fetch_task& t) { return t.symbol == s; })) {
        remaining.push_back(s);
        continue;
      }
      fetch_task t;
      t.symbol = s;
      t.from = req.from;
      t.to = req.to;
      // A range apart from the stored one would leave a hole that symbol_state's covered range
      // [first_date, last_date] hides once the task is done. And a source reports a range as of
      // its end (prices adjusted for the splits up to it, as Yahoo's are as of today): bars before
      // the stored ones fetched as of an earlier end could miss a split the stored rows reflect.
      // So a task that starts before the stored range runs through its last date, like the
      // planner's (one request; the middle is deduplicated downstream), and one that starts after
      // it starts the day after its last date.
      if (const auto* st = status_of(s); st != nullptr && st->first_date && st->last_date) {
        if (t.from < *st->first_date) t.to = std::max(t.to, *st->last_date);
        if (t.from > *st->last_date + 1) t.from = *st->last_date + 1;
      }
      t.task_id =
          s + ":" + format_date(t.from) + ":" + format_date(t.to) + ":b" + std::to_string(req.id);
      tasks.push_back(std::move(t));
      ++planned;
    }
    if (planned == 0 && !remaining.empty()) {
      if (waiting_backfills_.insert(req.id).second)
        log::info("manager", "backfill_waiting", {{"id", req.id}, {"symbols", remaining.size()}});
      continue;
    }
    waiting_backfills_.erase(req.id);
    settled.push_back({req.id, remaining.empty(), remaining});
    log::info("manager", "backfill",
              {{"id", req.id},
               {"planned", planned},
               {"waiting", remaining.size()},
               {"from", format_date(req.from)},
               {"to", format_date(req.to)}});
  }
  return settled;
}

void manager_core::forget(const std::vector<fetch_task>& tasks) {
  for (const auto& t : tasks) {
    in_flight_.erase(t.task_id);
    auto it = std::find(in_flight_symbols_.begin(), in_flight_symbols_.end(), t.symbol);
    if (it != in_flight_symbols_.end()) in_flight_symbols_.erase(it);
  }
  progress_.planned -= std::min<std::uint64_t>(progress_.planned, tasks.size());
  progress_.in_flight = in_flight_.size();
  progress_.idle = false;
}

} // namespace finstream::engine
