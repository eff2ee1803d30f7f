// Universe counts by state (see universe_summary.hpp).
#include "engine/universe_summary.hpp"

#include <algorithm>
#include <unordered_map>

namespace finstream::engine {

universe_summary summarize(const std::vector<std::string>& universe,
                           const std::vector<symbol_status>& state) {
  std::unordered_map<std::string, const symbol_status*> by_symbol;
  for (const auto& st : state)
    by_symbol.emplace(st.symbol, &st);
  universe_summary out;
  out.symbols = universe.size();
  bool incomplete = false;
  std::optional<day_t> complete;
  for (const auto& symbol : universe) {
    auto it = by_symbol.find(symbol);
    const symbol_status* st = it == by_symbol.end() ? nullptr : it->second;
    const std::string status = st ? st->status : "pending";
    if (status == "planned")
      ++out.planned;
    else if (status == "done")
      ++out.done;
    else if (status == "failed")
      ++out.failed;
    else
      ++out.pending;
    const bool permanent = status == "failed" && st->permanent;
    if (permanent) ++out.failed_permanent;
    if (st && st->last_date)
      out.last_stored = std::max(out.last_stored.value_or(*st->last_date), *st->last_date);
    if (permanent) continue;
    if (!st || !st->last_date)
      incomplete = true;
    else
      complete = std::min(complete.value_or(*st->last_date), *st->last_date);
  }
  if (!incomplete) out.complete_through = complete;
  return out;
}

} // namespace finstream::engine
