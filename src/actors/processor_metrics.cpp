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
  , rows_written_(metrics::registry::global().counter("finstream_rows_written_total",
                                                      "indicator rows committed to PostgreSQL"))
  , nulls_written_(metrics::registry::global().counter(
      "finstream_null_values_total", "non-finite indicator values written as NULL"))
  , commits_ok_(metrics::registry::global().counter("finstream_commits_total",
                                                    "processor transactions, by result",
                                                    {{"result", "ok"}}))
  , commits_fenced_(metrics::registry::global().counter(
      "finstream_commits_total", "processor transactions, by result", {{"result", "fenced"}}))
  , commits_failed_(metrics::registry::global().counter(
      "finstream_commits_total", "processor transactions, by result", {{"result", "error"}}))
  , dead_letters_(metrics::registry::global().counter(
      "finstream_dead_letters_total", "messages sent to a dead-letter topic", {{"role", "processor"}}))
  , batch_rows_(metrics::registry::global().histogram(
      "finstream_batch_rows", "rows per processor transaction",
      metrics::exponential_buckets(10, 4, 8)))
  , commit_seconds_(metrics::registry::global().histogram(
      "finstream_commit_seconds", "latency of processor transactions",
      metrics::default_latency_buckets())) {
}

void processor_metrics::batch_committed(const engine::commit_reply& r) {
  if (r.ok) {
    commits_ok_.inc();
    rows_written_.inc(static_cast<double>(r.rows));
    nulls_written_.inc(static_cast<double>(r.nulls));
    commit_seconds_.observe(r.seconds);
  } else if (r.fenced) {
    commits_fenced_.inc();
  } else {
    commits_failed_.inc();
  }
}

} // namespace finstream::actors
