// Processor metrics (see processor_metrics.hpp).
#include "actors/processor_metrics.hpp"

namespace finstream::actors {

processor_metrics& processor_metrics::get() {
  static processor_metrics m;
  return m;
}

processor_metrics::processor_metrics()
    : bars_consumed_(metrics::registry::global().counter("finstream_bars_consumed_total",
                                                         "bars received by processors"))
    , retention_overruns_(metrics::registry::global().counter(
          "finstream_retention_overruns_total",
          "claimed partitions whose stored offset was below the log start (records deleted "
          "unread)"))
    , retention_lost_offsets_(metrics::registry::global().counter(
          "finstream_retention_lost_offsets_total",
          "offsets deleted by retention before a processor read them"))
    , session_failures_(metrics::registry::global().counter(
          "finstream_processor_session_failures_total",
          "processor consumer sessions ended by an error and started again (log "
          "processor_session_failed)"))
    , cached_symbols_(metrics::registry::global().gauge(
          "finstream_processor_cached_symbols",
          "symbol states held in memory by the processors of this process"))
    , stale_replies_(metrics::registry::global().counter(
          "finstream_processor_stale_replies_total",
          "commit replies that arrived after their processor session had ended (dropped; log "
          "stale_commit_reply)")) {}

} // namespace finstream::actors
