// The PostgreSQL sink: writes one pg::batch (indicator rows, processor states, task completions,
// Kafka offsets) in one transaction, exactly once in effect.
//
// Per batch, in one transaction: (1) compare-and-set of every offset (first, so that a fenced
// replica stops before doing work); (1b) fills of indicators added to the set (pg::column_fill:
// UPDATE of their columns only, on stored rows); (2) the rows, by one of two paths (below);
// (3) upserts of processor_symbol_state and symbol_state, and the indicator_fill_pending entries
// the states settle or create (under the set's shared advisory lock). The rows are first reduced in memory to one row per
// (symbol, date), the later row winning, and encoded once (pg::encode_rows) for either path.
//
// Append path (the common case: new bars after each symbol's stored last date). When no symbol
// of the batch has a processor_symbol_state whose last_date is at or after its earliest row, and
// no symbol of the batch is purged (one indexed query), the rows are COPYed in binary straight
// into technical_indicators under a savepoint: no staging table, no ON CONFLICT. A unique
// violation rolls back to the savepoint and the batch takes the staging path, straight to ON
// CONFLICT. Staging path (revisions, recomputes, batches the append met a stored key in): COPY
// into a session-local staging table (temporary: never WAL-logged, emptied at commit), then
// INSERT INTO technical_indicators SELECT ... ON CONFLICT DO UPDATE (rows equal to the stored
// ones are not rewritten). With the append path switched off (sink_options), the staged INSERT
// is tried first without ON CONFLICT under a savepoint. Both paths leave the same contents.
//
// Fencing rules of the append path. Its correctness rests on the primary key alone: a row the
// append would insert over a stored key fails the whole COPY, so the eligibility query is only a
// prediction that avoids wasted COPYs, never a guarantee. (a) Other processors: fenced by the
// offset compare-and-set (epoch), which runs first and locks the batch's offset rows. (b) A
// symbol's processor_symbol_state row is written only by the owner of the symbol's partition, in
// the same transaction as its rows, so its last_date bounds the symbol's stored dates as far as
// processors are concerned; recompute and revision batches restart at or before it and are
// staged. (c) Writers outside the processors must either only UPDATE/DELETE existing keys (an
// indicator fill) or fence like a new claim: a purge marks the symbol purged, bumps every epoch
// (waiting for sink transactions in progress) and deletes; a batch prepared before is fenced, a
// later one sees the mark in the eligibility query and is staged (where purged rows are
// filtered). (d) Any other writer that inserts a key concurrently (an adopted or hand-loaded
// table) only costs the fallback: the COPY fails with 23505 and the batch is upserted.
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
#include <vector>

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
  /// Try the append path (see the header comment). false: every batch is staged (for `bench sink`,
  /// which measures both).
  bool append_path = true;
  reconnect_policy reconnect;
  /// Where the sink's metrics go (finstream_pg_*); nullptr: the process-wide registry.
  metrics::registry* metrics = nullptr;
  bool enable_metrics = true;
};

/// How a batch's rows were written (see the header comment).
enum class row_path {
  none,   // the batch had no rows
  append, // binary COPY straight into technical_indicators
  insert, // staged, then INSERT (every key new)
  upsert, // staged, then INSERT ... ON CONFLICT DO UPDATE
};
const char* to_string(row_path p);

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
  row_path path = row_path::none;       // committed: how the rows were written
};

/// A batch's rows with one row per key, the later row of a key winning (batch.hpp), in their
/// first arrival order, and each distinct symbol with its earliest date. The common shape (each
/// symbol's rows together, dates ascending) is recognised in one pass and not copied (`rows`
/// points to the input, which must outlive this); otherwise `rows` points to `storage`.
struct unique_rows {
  const std::vector<indicator_row>* rows = nullptr;
  std::vector<indicator_row> storage;
  std::vector<std::string> symbols;
  std::vector<day_t> first_dates; // parallel to symbols
};
unique_rows make_unique_rows(const std::vector<indicator_row>& rows);

/// Running totals of one sink (the same numbers also go to the metrics registry).
struct sink_stats {
  std::uint64_t batches = 0;
  std::uint64_t rows = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t non_finite = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t fenced = 0;
  std::uint64_t retries = 0;
  std::uint64_t appends = 0; // batches whose rows took the append path
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
  write_result attempt(const batch& b, const unique_rows& rows, const std::string& rows_copy,
                       const std::vector<std::string>& fill_copies);
  /// Creates the staging tables when the connection is new or they predate one of the batch's
  /// columns (indicator columns added to technical_indicators since).
  void ensure_staging(const batch& b);
  std::int64_t append_blockers(const unique_rows& rows);
  std::size_t write_staged(const std::vector<std::string>& columns, bool try_insert,
                           row_path& path);

  connection conn_;
  sink_options options_;
  std::uint64_t staging_generation_ = 0;
  std::vector<std::string> staging_columns_; // indicator columns the staging tables are known to have
  sink_stats stats_;
  std::shared_ptr<const metric_refs> metrics_; // null when metrics are disabled
};

} // namespace finstream::pg
