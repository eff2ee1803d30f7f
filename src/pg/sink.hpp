// The PostgreSQL sink: writes one pg::batch (indicator rows, processor states, task completions,
// Kafka offsets) in one transaction, exactly once in effect.
//
// Per batch, in one transaction: (1) compare-and-set of every offset (first, so that a fenced
// replica stops before doing work); (2) COPY of the rows into a session-local staging table
// (a temporary table: never WAL-logged, emptied at commit); (3) INSERT INTO technical_indicators
// SELECT DISTINCT ON (symbol, date) ... ORDER BY symbol, date, seq DESC ON CONFLICT DO UPDATE
// (the later of two rows of the same key wins; rows equal to the stored ones are not rewritten) —
// tried first without ON CONFLICT under a savepoint, which is twice as fast when every key is
// new, falling back to ON CONFLICT when a key exists; (4) upserts of processor_symbol_state and
// symbol_state.
//
// Guarantees: all or nothing per batch. A lost connection (server restart, network) → reconnect
// with backoff and retry the whole batch; if the lost acknowledgement was that of a COMMIT that
// did succeed, the retry finds its own offsets already committed and reports `duplicate` without
// writing anything. A batch whose offsets fail the compare-and-set for another reason (another
// epoch owns the partition, or the offset moved) is rolled back and reported `fenced`, never
// retried. Writing the same batch twice leaves every table unchanged.
//
// Threads: one sink per thread/actor (it owns one connection). No threads of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "pg/batch.hpp"
#include "pg/connection.hpp"
#include "pg/copy_format.hpp"

namespace finstream::metrics {
class registry;
}

namespace finstream::pg {

struct sink_options {
  /// Format of the staging COPY. Binary measured faster (see finstream bench sink).
  copy_format format = copy_format::binary;
  reconnect_policy reconnect;
  /// Where the sink's metrics go (finstream_pg_*); nullptr: the process-wide registry.
  metrics::registry* metrics = nullptr;
  bool enable_metrics = true;
};

enum class write_status {
  committed, // the batch is in the database
  duplicate, // its offsets were already committed by this epoch: written before, nothing done now
  fenced,    // another owner or position: rolled back, nothing of the batch is visible
};
const char* to_string(write_status s);

struct write_result {
  write_status status = write_status::committed;
  std::size_t rows = 0;                 // rows in the batch
  std::size_t rows_written = 0;         // rows of technical_indicators inserted or changed
  std::size_t non_finite = 0;           // NaN/±inf values of the batch, written as NULL
  int attempts = 0;                     // transactions tried (1: no retry)
  std::chrono::microseconds latency{0}; // encoding and transaction(s), retries included
  std::string detail;                   // duplicate / fenced: which partition and why
};

/// Running totals of one sink (the same numbers also go to the metrics registry).
struct sink_stats {
  std::uint64_t batches = 0;
  std::uint64_t rows = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t non_finite = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t fenced = 0;
  std::uint64_t retries = 0;
  std::uint64_t upserts = 0; // batches that had stored keys (ON CONFLICT path)
};

class sink {
public:
  /// Connects (with backoff). Does not migrate: roles call migrate() at start-up.
  explicit sink(std::string dsn, sink_options options = {});
  sink(connection conn, sink_options options);

  /// Writes `b` (see the header comment). Throws std::invalid_argument before touching the
  /// database when a row, state or completion carries an invalid symbol; throws pg_error when the
  /// database keeps failing (retries exhausted) or rejects the batch (kind other).
  write_result write(const batch& b);

  /// The sink's connection, for the processor's reads (load_symbol_state, load_bars, ...).
  connection& conn() noexcept { return conn_; }
  const sink_stats& stats() const noexcept { return stats_; }
  const sink_options& options() const noexcept { return options_; }

private:
  struct metric_refs;
  write_result attempt(const batch& b, const std::string& rows_copy,
                       const std::vector<std::string>& fill_copies);
  /// Creates the staging tables when the connection is new or they predate one of `columns`
  /// (indicator columns added to technical_indicators since).
  void ensure_staging(const batch& b);
  std::size_t write_rows(const std::vector<std::string>& columns);

  connection conn_;
  sink_options options_;
  std::uint64_t staging_generation_ = 0;
  std::vector<std::string> staging_columns_; // indicator columns the staging tables are known to have
  sink_stats stats_;
  std::shared_ptr<const metric_refs> metrics_; // null when metrics are disabled
};

} // namespace finstream::pg
