// The processors' own metric: bars received. (Rows written, batch sizes and commit latency are
// counted by the sink, pg/sink.hpp; consumer lag, paused partitions and dead letters by the Kafka
// layer.)
#pragma once

#include <cstddef>

#include "metrics/metrics.hpp"

namespace finstream::actors {

class processor_metrics {
public:
  static processor_metrics& get();
  void bars_consumed(std::size_t n) { bars_consumed_.inc(static_cast<double>(n)); }

private:
  processor_metrics();
  metrics::counter& bars_consumed_;
};

} // namespace finstream::actors
