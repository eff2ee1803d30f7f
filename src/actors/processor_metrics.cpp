// Processor metrics (see processor_metrics.hpp).
#include "actors/processor_metrics.hpp"

namespace finstream::actors {

processor_metrics& processor_metrics::get() {
  static processor_metrics m;
  return m;
}

processor_metrics::processor_metrics()
    : bars_consumed_(metrics::registry::global().counter("finstream_bars_consumed_total",
                                                         "bars received by processors")) {}

} // namespace finstream::actors
