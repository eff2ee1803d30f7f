// Cutting fetch results into batches (see task_batches.hpp).
#include "engine/task_batches.hpp"

#include <algorithm>

namespace finstream::engine {

std::vector<bar_batch> make_batches(const fetch_task& task, fetch_result result,
                                    std::size_t max_bars) {
  max_bars = std::max<std::size_t>(max_bars, 1);
  std::vector<bar_batch> out;
  auto head = [&] {
    bar_batch b;
    b.task_id = task.task_id;
    b.symbol = task.symbol;
    b.from = task.from;
    b.to = task.to;
    b.seq = static_cast<std::uint32_t>(out.size());
    b.last = false;
    b.generation = task.generation;
    return b;
  };
  if (auto* err = std::get_if<fetch_error>(&result)) {
    auto b = head();
    b.last = true;
    b.complete_through = task.from - 1;
    b.error = err->reason.empty() ? to_string(err->kind) : err->reason;
    b.permanent = is_permanent(err->kind);
    b.throttled = err->kind == fetch_error_kind::throttled;
    out.push_back(std::move(b));
    return out;
  }
  auto& series = std::get<bar_series>(result);
  const day_t through =
      series.complete_through != 0 ? std::min(series.complete_through, task.to) : task.to;
  std::size_t n = series.bars.size();
  std::size_t i = 0;
  do {
    auto b = head();
    b.complete_through = through;
    std::size_t end = std::min(n, i + max_bars);
    b.bars.assign(series.bars.begin() + static_cast<std::ptrdiff_t>(i),
                  series.bars.begin() + static_cast<std::ptrdiff_t>(end));
    if (out.empty()) {
      b.splits = series.splits;
      b.dividends = series.dividends;
    }
    i = end;
    b.last = i >= n;
    out.push_back(std::move(b));
  } while (i < n);
  return out;
}

} // namespace finstream::engine
