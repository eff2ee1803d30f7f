// The processors' metrics (bars consumed, rows written, batch sizes, commit latency), shared by the
// in-process and Kafka processors.
#pragma once

#include <cstddef>

#include "engine/commit.hpp"
#include "metrics/metrics.hpp"

namespace finstream::actors {

class processor_metrics {
public:
  static processor_metrics& get();

  void bars_consumed(std::size_t n) { bars_consumed_.inc(static_cast<double>(n)); }
  void batch_started(std::size_t rows) { batch_rows_.observe(static_cast<double>(rows)); }
  void batch_committed(const engine::commit_reply& r);
  void dead_lettered() { dead_letters_.inc(); }

private:
  processor_metrics();
  metrics::counter& bars_consumed_;
  metrics::counter& rows_written_;
  metrics::counter& nulls_written_;
  metrics::counter& commits_ok_;
  metrics::counter& commits_fenced_;
  metrics::counter& commits_failed_;
  metrics::counter& dead_letters_;
  metrics::histogram& batch_rows_;
  metrics::histogram& commit_seconds_;
};

} // namespace finstream::actors
