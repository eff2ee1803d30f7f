// The processors' own metrics: bars received, retention overruns. (Rows written, batch sizes and
// commit latency are counted by the sink, pg/sink.hpp; consumer lag, paused partitions and dead
// letters by the Kafka layer.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "metrics/metrics.hpp"

namespace finstream::actors {

class processor_metrics {
public:
  static processor_metrics& get();
  void bars_consumed(std::size_t n) { bars_consumed_.inc(static_cast<double>(n)); }
  /// A claimed partition whose stored offset was below its log start by `lost` offsets.
  void retention_overrun(std::int64_t lost) {
    retention_overruns_.inc();
    retention_lost_offsets_.inc(static_cast<double>(lost));
  }

private:
  processor_metrics();
  metrics::counter& bars_consumed_;
  metrics::counter& retention_overruns_;
  metrics::counter& retention_lost_offsets_;
};

} // namespace finstream::actors
