// Fetch outcome metrics (see fetch_metrics.hpp).
#include "engine/fetch_metrics.hpp"

#include "core/log.hpp"

#include "metrics/metrics.hpp"

namespace finstream::engine {

void record_fetch(const fetch_task& task, const fetch_result& result, const char* source_kind) {
  auto& reg = metrics::registry::global();
  if (const auto* err = std::get_if<fetch_error>(&result)) {
    reg.counter("finstream_tasks_failed_total", "tasks whose fetch failed, by reason",
                {{"reason", to_string(err->kind)}})
        .inc();
    log::warn("agent", "fetch_failed",
              {{"symbol", task.symbol},
               {"source", source_kind},
               {"kind", to_string(err->kind)},
               {"attempts", err->attempts},
               {"reason", err->reason}});
    return;
  }
  const auto& series = std::get<bar_series>(result);
  reg.counter("finstream_tasks_fetched_total", "tasks fetched successfully").inc();
  reg.counter("finstream_bars_fetched_total", "bars fetched from the source")
      .inc(static_cast<double>(series.bars.size()));
  log::debug("agent", "fetched",
             {{"symbol", task.symbol},
              {"source", source_kind},
              {"from", format_date(task.from)},
              {"to", format_date(task.to)},
              {"bars", series.bars.size()}});
}

void register_fetch_metrics() {
  auto& reg = metrics::registry::global();
  reg.counter("finstream_tasks_fetched_total", "tasks fetched successfully");
  reg.counter("finstream_bars_fetched_total", "bars fetched from the source");
  // Every reason at 0, so that failure ratios by reason exist before the first failure.
  for (auto kind : all_fetch_error_kinds)
    reg.counter("finstream_tasks_failed_total", "tasks whose fetch failed, by reason",
                {{"reason", to_string(kind)}});
}

} // namespace finstream::engine
