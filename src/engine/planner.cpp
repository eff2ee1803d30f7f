// Planning rules (see planner.hpp).
#include "engine/planner.hpp"

#include <algorithm>
#include <unordered_map>

namespace finstream::engine {

std::optional<std::pair<day_t, day_t>> missing_range(const symbol_status* st, day_t from,
                                                     day_t to) {
  if (from > to) return std::nullopt;
  if (st == nullptr || !st->first_date || !st->last_date) return std::make_pair(from, to);
  if (from < *st->first_date) return std::make_pair(from, to);
  if (*st->last_date < to) return std::make_pair(std::max<day_t>(from, *st->last_date + 1), to);
  return std::nullopt;
}

namespace {

/// The date `n` weekdays (Monday to Friday) before `day`.
day_t weekdays_before(day_t day, int n) {
  while (n > 0) {
    --day;
    if (const auto w = weekday(day); w != 0 && w != 6) --n;
  }
  return day;
}

} // namespace

std::vector<fetch_task> plan_tasks(const plan_input& in, const std::vector<symbol_status>& state,
                                   const planner_options& opts) {
  std::unordered_map<std::string, const symbol_status*> by_symbol;
  for (const auto& st : state)
    by_symbol.emplace(st.symbol, &st);
  std::vector<fetch_task> tasks;
  for (const auto& symbol : in.universe) {
    auto it = by_symbol.find(symbol);
    const symbol_status* st = it == by_symbol.end() ? nullptr : it->second;
    if (st != nullptr && st->status == "planned" && in.in_flight.count(st->task_id)) continue;
    auto range = missing_range(st, in.from, in.to);
    if (!range) continue;
    // Its last task already asked up to this target and the source vouched for less (a session
    // not closed yet): ask again when the target moves (the next daily run), not at every tick.
    if (st != nullptr && st->status == "done" && st->planned_to >= in.to &&
        range->first > in.from && st->planned_from <= range->first)
      continue;
    // The revision window: a continuation re-fetches the last sessions already stored.
    if (st != nullptr && st->first_date && st->last_date && range->first == *st->last_date + 1 &&
        opts.revision_sessions > 0)
      range->first = std::max({in.from, *st->first_date,
                               weekdays_before(range->first, opts.revision_sessions)});
    if (st != nullptr && st->status == "failed" && st->planned_from == range->first &&
        st->planned_to == range->second) {
      if (st->permanent || st->attempts >= opts.max_attempts) continue;
      auto shift = std::min(st->attempts > 0 ? st->attempts - 1 : 0, 20);
      auto wait = std::min(opts.retry_base_ms << shift, opts.retry_max_ms);
      if (in.now_ms < st->updated_at_ms + wait) continue;
    }
    fetch_task t;
    t.symbol = symbol;
    t.from = range->first;
    t.to = range->second;
    t.task_id = symbol + ":" + format_date(t.from) + ":" + format_date(t.to) + ":" + in.epoch;
    tasks.push_back(std::move(t));
  }
  return tasks;
}

} // namespace finstream::engine
