// The batch writer: offsets compare-and-set, rows appended by COPY or staged and upserted, state
// upserts, all in one transaction, retried whole after a lost connection.
#include "pg/sink.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "core/log.hpp"
#include "core/symbol.hpp"
#include "metrics/metrics.hpp"
#include "pg/dsn.hpp"
#include "pg/indicator_sets.hpp"

namespace finstream::pg {

namespace {

// Session-local staging table: a temporary table (no WAL, no index), created once per connection
// generation, emptied by every commit or rollback of the transaction that filled it.
constexpr const char* staging_table = "finstream_staging";
// Staging table of fills (column_fill): a second temporary table like the first.
constexpr const char* fill_staging_table = "finstream_fill_staging";

// Rows of purged symbols (`finstream symbols drop --purge`, see pg/symbol_admin.hpp) are dropped
// while the symbol stays excluded, so messages replayed after a purge do not bring them back.
std::string not_purged(const std::string& symbol_column) {
  return "NOT EXISTS (SELECT 1 FROM symbol_exclusions x WHERE x.symbol = " + symbol_column +
         " AND x.purged_at IS NOT NULL)";
}

// The staging path's INSERT without ON CONFLICT, for batches that may have only new keys but were
// not eligible for the append path. Speculative insertion (ON CONFLICT) costs about twice as much
// per row (an extra index probe and a confirmation WAL record per row); see write_staged().
// The staged rows have unique keys (write() deduplicates them first, the later row winning).
std::string insert_new_sql(const std::vector<std::string>& columns) {
  const std::string cols = indicator_table_columns(columns);
  return "INSERT INTO technical_indicators (" + cols + ")\nSELECT " + cols + " FROM " +
         staging_table + "\nWHERE " + not_purged(std::string{staging_table} + ".symbol");
}

std::string insert_sql(const std::vector<std::string>& columns) {
  const std::string cols = indicator_table_columns(columns);
  std::string set, mine, theirs;
  std::vector<std::string> value_cols = {"open", "high", "low", "close", "adj_close", "volume"};
  value_cols.insert(value_cols.end(), columns.begin(), columns.end());
  for (std::size_t i = 0; i < value_cols.size(); ++i) {
    const auto& c = value_cols[i];
    set += (i ? ", " : "") + c + " = EXCLUDED." + c;
    mine += (i ? ", t." : "t.") + c;
    theirs += (i ? ", EXCLUDED." : "EXCLUDED.") + c;
  }
  return "INSERT INTO technical_indicators AS t (" + cols + ")\n" + "SELECT " + cols + " FROM " +
         staging_table + "\nWHERE " + not_purged(std::string{staging_table} + ".symbol") + "\n" +
         "ON CONFLICT (symbol, date) DO UPDATE SET " + set + "\nWHERE (" + mine +
         ") IS DISTINCT FROM (" + theirs + ")";
}

// COPY of rows encoded by encode_rows(..., with_seq=false) with the same `columns`.
std::string copy_into(const char* table, const std::vector<std::string>& columns, copy_format f) {
  std::string sql =
      std::string{"COPY "} + table + " (" + indicator_table_columns(columns) + ") FROM STDIN";
  if (f == copy_format::binary) sql += " (FORMAT binary)";
  return sql;
}

// A fill sets only its indicator columns of rows already stored (a row not stored is left out:
// the processor writes it whole when it comes).
std::string fill_update_sql(const std::vector<std::string>& columns) {
  indicator_table_columns(columns); // validates the names
  std::string set;
  for (const auto& c : columns)
    set += (set.empty() ? "" : ", ") + c + " = f." + c;
  return std::string{"UPDATE technical_indicators t SET "} + set + " FROM " + fill_staging_table +
         " f WHERE t.symbol = f.symbol AND t.date = f.date";
}

// indicator_fill_pending (symbols whose stored rows lack indicators of the active set) after this
// batch's states, computed with the set of version $2 (0: the default set, none stored): entries
// up to that version are settled; a state computed with an older set than the active one lists its
// symbol for a fill (a processor that had not switched yet). Under the set's shared lock (see
// indicator_set_lock_key).
constexpr const char* fill_lock_sql = "SELECT pg_advisory_xact_lock_shared($1::bigint)";
constexpr const char* fill_done_sql =
    "DELETE FROM indicator_fill_pending WHERE symbol = ANY($1::text[]) AND version <= $2";
constexpr const char* fill_stale_sql =
    "INSERT INTO indicator_fill_pending (symbol, version)\n"
    "SELECT u.symbol, s.version FROM unnest($1::text[]) AS u(symbol), indicator_set s\n"
    "WHERE s.version > $2\n"
    "ON CONFLICT (symbol) DO UPDATE SET\n"
    "  version = GREATEST(indicator_fill_pending.version, EXCLUDED.version)";

// The append path's eligibility, read inside the batch's transaction after the offsets'
// compare-and-set: the number of the batch's symbols whose first row is at or before the date of
// their stored processor state (a revision or a recompute), plus the number of its symbols that
// are purged. 0: append. Both read by primary key: `symbol = ANY` lets the planner see how few
// rows qualify (a plain join with unnest, or an OR of two EXISTS, is planned as a scan of the
// whole table once the batch has a few dozen symbols).
constexpr const char* append_blockers_sql =
    "SELECT (SELECT count(*) FROM processor_symbol_state p\n"
    "        JOIN unnest($1::text[], $2::date[]) AS u(symbol, first_date) ON u.symbol = p.symbol\n"
    "        WHERE p.symbol = ANY($1::text[]) AND p.last_date >= u.first_date)\n"
    "     + (SELECT count(*) FROM symbol_exclusions x\n"
    "        WHERE x.symbol = ANY($1::text[]) AND x.purged_at IS NOT NULL)";

constexpr const char* offset_cas_sql =
    "UPDATE processor_offsets SET next_offset = $6, updated_at = now()\n"
    "WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND owner_epoch = $4\n"
    "  AND next_offset IS NOT DISTINCT FROM $5::bigint";

constexpr const char* offset_read_sql =
    "SELECT owner_epoch, next_offset FROM processor_offsets\n"
    "WHERE consumer_group = $1 AND topic = $2 AND partition = $3";

const std::string states_sql =
    "INSERT INTO processor_symbol_state AS p (symbol, last_date, algo_version, state, updated_at)\n"
    "SELECT u.symbol, u.last_date, u.algo_version, decode(u.state, 'hex'), now()\n"
    "FROM unnest($1::text[], $2::date[], $3::integer[], $4::text[])\n"
    "  AS u(symbol, last_date, algo_version, state)\n"
    "WHERE " + not_purged("u.symbol") + "\n"
    "ON CONFLICT (symbol) DO UPDATE SET last_date = EXCLUDED.last_date,\n"
    "  algo_version = EXCLUDED.algo_version, state = EXCLUDED.state, updated_at = now()\n"
    "WHERE (p.last_date, p.algo_version, p.state)\n"
    "  IS DISTINCT FROM (EXCLUDED.last_date, EXCLUDED.algo_version, EXCLUDED.state)";

// See task_completion in batch.hpp. "Outstanding": the symbol's current task is this one and is
// still planned. A completion of any other task changes nothing but can raise last_date (done).
const std::string completions_sql =
    "INSERT INTO symbol_state AS s\n"
    "  (symbol, first_date, last_date, status, task_id, planned_from, planned_to, last_error,\n"
    "   permanent, attempts, updated_at)\n"
    "SELECT u.symbol, CASE WHEN u.status = 'done' THEN u.first_date END,\n"
    "  CASE WHEN u.status = 'done' THEN u.last_date END, u.status, u.task_id, u.first_date,\n"
    "  u.last_date, u.error, u.permanent,\n"
    "  CASE WHEN u.status = 'failed' AND NOT u.throttled THEN 1 ELSE 0 END, now()\n"
    "FROM unnest($1::text[], $2::text[], $3::date[], $4::date[], $5::text[], $6::text[],\n"
    "            $7::boolean[], $8::boolean[])\n"
    "  AS u(symbol, task_id, first_date, last_date, status, error, permanent, throttled)\n"
    "WHERE " + not_purged("u.symbol") + "\n"
    "ON CONFLICT (symbol) DO UPDATE SET\n"
    "  first_date = CASE WHEN EXCLUDED.status = 'done'\n"
    "    THEN LEAST(s.first_date, EXCLUDED.first_date) ELSE s.first_date END,\n"
    "  last_date = CASE WHEN EXCLUDED.status = 'done'\n"
    "    THEN GREATEST(s.last_date, EXCLUDED.last_date) ELSE s.last_date END,\n"
    "  status = CASE WHEN s.status = 'planned' AND s.task_id IS NOT DISTINCT FROM "
    "EXCLUDED.task_id\n"
    "    THEN EXCLUDED.status ELSE s.status END,\n"
    "  last_error = CASE WHEN s.status = 'planned' AND s.task_id IS NOT DISTINCT FROM "
    "EXCLUDED.task_id\n"
    "    THEN EXCLUDED.last_error ELSE s.last_error END,\n"
    "  permanent = CASE WHEN s.status = 'planned' AND s.task_id IS NOT DISTINCT FROM "
    "EXCLUDED.task_id\n"
    "    THEN EXCLUDED.permanent ELSE s.permanent END,\n"
    "  attempts = CASE WHEN NOT (s.status = 'planned'\n"
    "                            AND s.task_id IS NOT DISTINCT FROM EXCLUDED.task_id)\n"
    "    THEN s.attempts WHEN EXCLUDED.status = 'done' THEN 0\n"
    "    ELSE s.attempts + EXCLUDED.attempts END,\n"
    "  updated_at = now()\n"
    "WHERE (s.status = 'planned' AND s.task_id IS NOT DISTINCT FROM EXCLUDED.task_id)\n"
    "   OR (EXCLUDED.status = 'done' AND (s.last_date IS NULL OR s.last_date < EXCLUDED.last_date\n"
    "                                     OR s.first_date IS NULL\n"
    "                                     OR s.first_date > EXCLUDED.first_date))";

// Hex text for decode(..., 'hex'): bytea travels inside a text[] parameter without escaping.
std::string to_hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void check_symbol(const std::string& s, const char* what) {
  if (auto err = symbol_error(s))
    throw std::invalid_argument(std::string{"pg: refusing to write a "} + what +
                                " with an invalid symbol: " + *err);
}

struct row_key_hash {
  std::size_t operator()(const std::pair<std::string_view, day_t>& k) const noexcept {
    return std::hash<std::string_view>{}(k.first) * 31 + static_cast<std::size_t>(k.second);
  }
};

} // namespace

unique_rows make_unique_rows(const std::vector<indicator_row>& rows) {
  unique_rows out;
  out.rows = &rows;
  std::unordered_map<std::string_view, day_t> first; // symbol → earliest date (views of `rows`)
  std::vector<std::string_view> order;
  bool simple = true;
  for (std::size_t i = 0; i < rows.size() && simple; ++i) {
    const auto& r = rows[i];
    if (i > 0 && r.symbol == rows[i - 1].symbol) {
      simple = r.b.date > rows[i - 1].b.date;
    } else if (first.emplace(r.symbol, r.b.date).second) {
      order.push_back(r.symbol);
    } else {
      simple = false; // the symbol's rows resume after another symbol's
    }
  }
  if (!simple) {
    std::unordered_map<std::pair<std::string_view, day_t>, std::size_t, row_key_hash> last;
    last.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      last[{rows[i].symbol, rows[i].b.date}] = i;
    first.clear();
    order.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (last[{r.symbol, r.b.date}] != i) continue;
      out.storage.push_back(r);
      auto [it, fresh] = first.emplace(r.symbol, r.b.date);
      if (fresh)
        order.push_back(r.symbol);
      else
        it->second = std::min(it->second, r.b.date);
    }
    out.rows = &out.storage;
  }
  out.symbols.reserve(order.size());
  out.first_dates.reserve(order.size());
  for (auto sym : order) {
    out.symbols.emplace_back(sym);
    out.first_dates.push_back(first.at(sym));
  }
  return out;
}

struct sink::metric_refs {
  metrics::counter& rows_written;
  metrics::counter& rows_received;
  metrics::counter& non_finite;
  metrics::counter& committed;
  metrics::counter& duplicate;
  metrics::counter& fenced;
  metrics::counter& retries;
  metrics::counter& session_limits;
  metrics::histogram& batch_rows;
  metrics::histogram& commit_seconds;
  metrics::counter& path_append;
  metrics::counter& path_insert;
  metrics::counter& path_upsert;

  metrics::counter& by_path(row_path p) const {
    return p == row_path::append ? path_append : p == row_path::insert ? path_insert : path_upsert;
  }

  explicit metric_refs(metrics::registry& r)
      : rows_written(r.counter("finstream_pg_rows_written_total",
                               "technical_indicators rows inserted or changed by the sink"))
      , rows_received(r.counter("finstream_pg_rows_received_total",
                                "rows handed to the sink (before de-duplication)"))
      , non_finite(r.counter("finstream_pg_non_finite_values_total",
                             "NaN or infinite values written as NULL"))
      , committed(r.counter("finstream_pg_batches_total", "sink batches by outcome",
                            {{"result", "committed"}}))
      , duplicate(r.counter("finstream_pg_batches_total", "sink batches by outcome",
                            {{"result", "duplicate"}}))
      , fenced(r.counter("finstream_pg_batches_total", "sink batches by outcome",
                         {{"result", "fenced"}}))
      , retries(r.counter("finstream_pg_retries_total",
                          "sink transactions retried after a lost connection or transient error"))
      , session_limits(r.counter(
            "finstream_pg_session_limit_hits_total",
            "sink transactions ended by the server's idle-in-transaction or statement timeout "
            "(a sink frozen mid-transaction)"))
      , batch_rows(r.histogram("finstream_pg_batch_rows", "rows per sink batch",
                               metrics::exponential_buckets(1, 4, 9)))
      , commit_seconds(r.histogram("finstream_pg_commit_seconds",
                                   "time to write one sink batch (encoding, transaction, retries)",
                                   metrics::default_latency_buckets()))
      , path_append(r.counter(path_help_name, path_help, {{"path", "append"}}))
      , path_insert(r.counter(path_help_name, path_help, {{"path", "insert"}}))
      , path_upsert(r.counter(path_help_name, path_help, {{"path", "upsert"}})) {}

  static constexpr const char* path_help_name = "finstream_pg_row_batches_total";
  static constexpr const char* path_help =
      "committed sink batches with rows, by how the rows were written: append (binary COPY "
      "straight into the table), insert (staged, every key new), upsert (staged, ON CONFLICT)";
};

namespace {

// A sink frozen inside its transaction (SIGSTOP, a VM or GC pause) keeps the row locks of its
// partitions' offsets; the processor that took those partitions over then blocks on them when it
// claims them, for as long as the freeze lasts. The server ends such a session after the
// connection's session limits (pg::session_limits: idle_in_transaction_session_timeout and
// statement_timeout, set on every connection), so the new owner waits at most about that long;
// the frozen sink, once thawed, finds its connection gone, retries and is fenced.
// SQLSTATEs of a session or statement ended by those limits.
bool ended_by_session_limit(const pg_error& e) {
  return e.sqlstate() == "25P03" || e.sqlstate() == "57014";
}

} // namespace

const char* to_string(row_path p) {
  switch (p) {
  case row_path::none:
    return "none";
  case row_path::append:
    return "append";
  case row_path::insert:
    return "insert";
  default:
    return "upsert";
  }
}

const char* to_string(write_status s) {
  switch (s) {
  case write_status::committed:
    return "committed";
  case write_status::duplicate:
    return "duplicate";
  default:
    return "fenced";
  }
}

sink::sink(std::string dsn, sink_options options)
    : sink(connection{dsn, options.reconnect}, options) {}

sink::sink(connection conn, sink_options options)
    : conn_(std::move(conn))
    , options_(options) {
  if (options_.enable_metrics)
    metrics_ = std::make_shared<metric_refs>(options_.metrics ? *options_.metrics
                                                              : metrics::registry::global());
}

void sink::ensure_staging(const batch& b) {
  auto known = [&](const std::vector<std::string>& cols) {
    for (const auto& c : cols)
      if (std::find(staging_columns_.begin(), staging_columns_.end(), c) == staging_columns_.end())
        return false;
    return true;
  };
  const bool same_session = staging_generation_ == conn_.generation();
  if (same_session && known(b.columns) &&
      std::all_of(b.fills.begin(), b.fills.end(),
                  [&](const column_fill& f) { return known(f.columns); }))
    return;
  // LIKE copies the table's columns as they are now: after columns were added (a change of the
  // active indicator set), the tables are made again.
  for (const char* t : {staging_table, fill_staging_table}) {
    if (same_session) conn_.exec(std::string{"DROP TABLE IF EXISTS "} + t);
    conn_.exec(std::string{"CREATE TEMPORARY TABLE IF NOT EXISTS "} + t +
               " (LIKE technical_indicators) ON COMMIT DELETE ROWS");
  }
  staging_generation_ = conn_.generation();
  staging_columns_ = b.columns;
  for (const auto& f : b.fills)
    staging_columns_.insert(staging_columns_.end(), f.columns.begin(), f.columns.end());
}

write_result sink::attempt(const batch& b, const unique_rows& rows, const std::string& rows_copy,
                           const std::vector<std::string>& fill_copies) {
  write_result out;
  ensure_staging(b);
  transaction tx(conn_);

  // (1) Offsets: compare-and-set, all or nothing.
  std::size_t already = 0;
  for (const auto& o : b.offsets) {
    auto upd = conn_.query(offset_cas_sql, o.consumer_group, o.topic, o.partition, o.epoch,
                           o.expected_prev, o.next);
    if (upd.affected() == 1) continue;
    auto cur = conn_.query(offset_read_sql, o.consumer_group, o.topic, o.partition);
    const std::string where = o.consumer_group + "/" + o.topic + "/" + std::to_string(o.partition);
    if (cur.rows() == 0) {
      out.status = write_status::fenced;
      out.detail = where + ": partition was never claimed";
      return out; // tx rolls back
    }
    const auto epoch = cur.int64(0, 0);
    const std::optional<std::int64_t> next =
        cur.is_null(0, 1) ? std::nullopt : std::optional<std::int64_t>{cur.int64(0, 1)};
    if (epoch == o.epoch && next == o.next) {
      ++already;
      out.detail = where + ": offset " + std::to_string(o.next) + " already committed";
      continue;
    }
    out.status = write_status::fenced;
    out.detail = where + ": owner epoch " + std::to_string(epoch) + " (batch has " +
                 std::to_string(o.epoch) + "), next offset " +
                 (next ? std::to_string(*next) : std::string{"none"}) + " (batch expects " +
                 (o.expected_prev ? std::to_string(*o.expected_prev) : std::string{"none"}) + ")";
    return out;
  }
  if (already > 0) {
    // Some offsets were already committed by this epoch: the batch was written before (e.g. the
    // acknowledgement of its COMMIT was lost). If only some were, the batch is not the one that
    // was written: refuse it as fenced.
    out.status = already == b.offsets.size() ? write_status::duplicate : write_status::fenced;
    return out;
  }

  // (1a) A batch without offsets (local mode) has no epoch to be fenced by: it holds the purge
  // fence shared instead, so a purge (which takes it exclusively after marking its symbols) waits
  // for it to commit and deletes its rows, or commits first and this batch's statements, run
  // after the lock is granted, see the symbols purged and filter them.
  if (b.offsets.empty())
    conn_.exec("SELECT pg_advisory_xact_lock_shared(hashtextextended('finstream.purge', 0))");

  // (1b) Fills of added indicators, before the rows: a row of this batch that restates a filled
  // date carries the newer values. Fills only UPDATE stored rows: they never add a key, so they
  // leave the append path's assumption (the batch's keys are new) as it was.
  for (std::size_t i = 0; i < b.fills.size(); ++i) {
    conn_.copy_in(copy_into(fill_staging_table, b.fills[i].columns, options_.format),
                  fill_copies[i]);
    conn_.exec(fill_update_sql(b.fills[i].columns));
    conn_.exec(std::string{"DELETE FROM "} + fill_staging_table);
  }

  // (2) + (3) Rows: appended when eligible, else (or when the append meets a stored key) staged.
  if (!b.rows.empty()) {
    // Without the append path, the staged rows are tried as new keys first; when the append
    // path was refused (a revision, a recompute: keys are stored) or met a stored key, they go
    // straight to ON CONFLICT.
    bool try_insert = !options_.append_path;
    if (options_.append_path && append_blockers(rows) == 0) {
      conn_.exec("SAVEPOINT finstream_append");
      try {
        out.rows_written =
            static_cast<std::size_t>(conn_.copy_in(copy_into("technical_indicators", b.columns, options_.format), rows_copy));
        conn_.exec("RELEASE SAVEPOINT finstream_append");
        out.path = row_path::append;
      } catch (const pg_error& e) {
        if (e.sqlstate() != "23505" || !conn_.is_ok()) throw;
        conn_.exec("ROLLBACK TO SAVEPOINT finstream_append");
      }
    }
    if (out.path != row_path::append) {
      conn_.copy_in(copy_into(staging_table, b.columns, options_.format), rows_copy);
      out.rows_written = write_staged(b.columns, try_insert, out.path);
    }
  }

  // (4) Processor states: the last entry of a symbol wins.
  if (!b.states.empty()) {
    std::unordered_map<std::string, std::size_t> last;
    for (std::size_t i = 0; i < b.states.size(); ++i)
      last[b.states[i].symbol] = i;
    std::vector<param> sym, date, algo, state;
    for (std::size_t i = 0; i < b.states.size(); ++i) {
      if (last[b.states[i].symbol] != i) continue;
      const auto& s = b.states[i];
      sym.push_back(s.symbol);
      date.push_back(format_date(s.last_date));
      algo.push_back(std::to_string(s.algo_version));
      state.push_back(to_hex(s.state));
    }
    conn_.query(states_sql, array_literal(sym), array_literal(date), array_literal(algo),
                array_literal(state));
    conn_.query(fill_lock_sql, std::string{indicator_set_lock_key});
    const auto symbols = array_literal(sym);
    if (b.set_version > 0) conn_.query(fill_done_sql, symbols, b.set_version);
    conn_.query(fill_stale_sql, symbols, b.set_version);
  }

  // (5) Completions, in order: one statement per "round" in which each symbol appears once (ON
  // CONFLICT cannot touch a row twice in one statement).
  if (!b.completions.empty()) {
    std::unordered_map<std::string, std::size_t> seen;
    std::vector<std::vector<const task_completion*>> rounds;
    for (const auto& c : b.completions) {
      auto r = seen[c.symbol]++;
      if (rounds.size() <= r) rounds.emplace_back();
      rounds[r].push_back(&c);
    }
    for (const auto& round : rounds) {
      std::vector<param> sym, task, first, date, status, error, permanent, throttled;
      for (const auto* c : round) {
        const bool done = c->status == task_status::done;
        sym.push_back(c->symbol);
        task.push_back(c->task_id);
        first.push_back(format_date(std::min(c->first_date, c->last_date)));
        date.push_back(format_date(c->last_date));
        status.push_back(std::string{done ? "done" : "failed"});
        error.push_back(done || c->error.empty() ? param{} : param{c->error});
        permanent.push_back(std::string{!done && c->permanent ? "t" : "f"});
        throttled.push_back(std::string{!done && c->throttled ? "t" : "f"});
      }
      conn_.query(completions_sql, array_literal(sym), array_literal(task), array_literal(first),
                  array_literal(date), array_literal(status), array_literal(error),
                  array_literal(permanent), array_literal(throttled));
    }
  }

  tx.commit();
  return out;
}

std::int64_t sink::append_blockers(const unique_rows& rows) {
  std::vector<param> dates;
  dates.reserve(rows.first_dates.size());
  for (day_t d : rows.first_dates)
    dates.emplace_back(format_date(d));
  return conn_.query(append_blockers_sql, array_of(rows.symbols), array_literal(dates)).int64(0, 0);
}

std::size_t sink::write_staged(const std::vector<std::string>& columns, bool try_insert,
                               row_path& path) {
  // Optimistic when `try_insert`: plain INSERT under a savepoint; a unique violation (some key is
  // already stored, or was stored concurrently) rolls back to the savepoint and the batch takes
  // the ON CONFLICT path. Both give the same table contents.
  if (try_insert) {
    conn_.exec("SAVEPOINT finstream_new_rows");
    try {
      const auto n = conn_.exec(insert_new_sql(columns)).affected();
      conn_.exec("RELEASE SAVEPOINT finstream_new_rows");
      path = row_path::insert;
      return static_cast<std::size_t>(n);
    } catch (const pg_error& e) {
      if (e.sqlstate() != "23505" || !conn_.is_ok()) throw;
    }
    conn_.exec("ROLLBACK TO SAVEPOINT finstream_new_rows");
  }
  path = row_path::upsert;
  return static_cast<std::size_t>(conn_.exec(insert_sql(columns)).affected());
}

write_result sink::write(const batch& b) {
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : b.states)
    check_symbol(s.symbol, "processor state");
  for (const auto& c : b.completions)
    check_symbol(c.symbol, "task completion");
  // One row per key, encoded once (and validated: encode_rows checks every row's symbol), the
  // same bytes for either path and for every retry.
  const auto rows = make_unique_rows(b.rows);
  encoded_rows enc;
  if (!b.rows.empty())
    enc = encode_rows(*rows.rows, b.columns, options_.format, /*with_seq=*/false);
  std::vector<std::string> fill_copies;
  for (const auto& f : b.fills)
    fill_copies.push_back(encode_rows(f.rows, f.columns, options_.format, false).data);

  int attempts = 0;
  write_result out = conn_.with_retry([&](connection&) {
    ++attempts;
    try {
      return attempt(b, rows, enc.data, fill_copies);
    } catch (const pg_error& e) {
      if (ended_by_session_limit(e)) {
        log::warn("pg", "sink_session_limit", {{"sqlstate", e.sqlstate()}, {"error", e.what()}});
        if (metrics_) metrics_->session_limits.inc();
      }
      throw;
    }
  });
  out.rows = b.rows.size();
  out.non_finite = enc.non_finite;
  out.attempts = attempts;
  out.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);

  ++stats_.batches;
  stats_.retries += static_cast<std::uint64_t>(attempts - 1);
  if (out.status == write_status::committed) {
    stats_.rows += out.rows;
    stats_.rows_written += out.rows_written;
    stats_.non_finite += out.non_finite;
    if (out.path == row_path::append) ++stats_.appends;
    if (out.path == row_path::upsert) ++stats_.upserts;
  } else if (out.status == write_status::duplicate) {
    ++stats_.duplicates;
  } else {
    ++stats_.fenced;
    log::warn("pg", "batch_fenced", {{"detail", out.detail}, {"rows", out.rows}});
  }
  if (metrics_) {
    metrics_->retries.inc(attempts - 1);
    metrics_->commit_seconds.observe(std::chrono::duration<double>(out.latency).count());
    if (out.status == write_status::committed) {
      metrics_->committed.inc();
      metrics_->rows_received.inc(static_cast<double>(out.rows));
      metrics_->rows_written.inc(static_cast<double>(out.rows_written));
      metrics_->non_finite.inc(static_cast<double>(out.non_finite));
      metrics_->batch_rows.observe(static_cast<double>(out.rows));
      if (out.path != row_path::none) metrics_->by_path(out.path).inc();
    } else if (out.status == write_status::duplicate) {
      metrics_->duplicate.inc();
    } else {
      metrics_->fenced.inc();
    }
  }
  return out;
}

} // namespace finstream::pg
