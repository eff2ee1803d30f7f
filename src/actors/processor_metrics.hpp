// The processors' own metrics: bars received, retention overruns, failed consumer sessions,
// symbol states in memory. (Rows written, batch sizes and
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

  /// A consumer session ended by an error (lost database, fenced commit, broker failure): the
  /// processor leaves the group and starts a new session a second later.
  void session_failed() { session_failures_.inc(); }
  /// A commit reply that belonged to an earlier session (dropped, see engine::session_commits).
  void stale_reply() { stale_replies_.inc(); }

  /// Symbol states held in memory by all processors of this process: each processor reports the
  /// change of its own count (`processor.max_cached_symbols` bounds each one).
  void cached_symbols_changed(double delta) { cached_symbols_.inc(delta); }

private:
  processor_metrics();
  metrics::counter& bars_consumed_;
  metrics::counter& retention_overruns_;
  metrics::counter& retention_lost_offsets_;
  metrics::counter& session_failures_;
  metrics::gauge& cached_symbols_;
  metrics::counter& stale_replies_;
};

} // namespace finstream::actors
