// Fetch outcome metrics (see fetch_metrics.hpp).
#include "engine/fetch_metrics.hpp"

#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"

namespace finstream::engine {

void record_fetch(const fetch_task& task, const fetch_result& result, const char* source_kind) {
  auto& reg = metrics::registry::global();
  if (const auto* err = std::get_if<fetch_error>(&result)) {
    reg.counter("finstream_tasks_failed_total", "tasks whose fetch failed, by reason",
                {{"reason", to_string(err->kind)}})
      .inc();
    spdlog::warn("event=fetch_failed role=agent symbol={} source={} kind={} attempts={} reason=\"{}\"",
                 task.symbol, source_kind, to_string(err->kind), err->attempts, err->reason);
    return;
  }
  const auto& series = std::get<bar_series>(result);
  reg.counter("finstream_tasks_fetched_total", "tasks fetched successfully").inc();
  reg.counter("finstream_bars_fetched_total", "bars fetched from the source")
    .inc(static_cast<double>(series.bars.size()));
  spdlog::debug("event=fetched role=agent symbol={} source={} from={} to={} bars={}", task.symbol,
                source_kind, format_date(task.from), format_date(task.to), series.bars.size());
}

} // namespace finstream::engine
