// Versioned DDL of finstream's schema and the locked, idempotent runner (see migrations.hpp).
#include "pg/migrations.hpp"

#include <algorithm>
#include <set>

#include "core/indicator_row.hpp"
#include "core/log.hpp"

namespace finstream::pg {

namespace {

// pg_advisory_lock key of the migration runner: "finsmigr" in ASCII. Advisory locks are per
// database, so runs against different databases never wait for each other.
constexpr const char* migrate_lock_key = "7379550906459187058";

std::string indicators_ddl() {
  std::string ddl = "CREATE TABLE technical_indicators (\n"
                    "  symbol text NOT NULL,\n"
                    "  date date NOT NULL,\n"
                    "  open double precision,\n"
                    "  high double precision,\n"
                    "  low double precision,\n"
                    "  close double precision,\n"
                    "  adj_close double precision,\n"
                    "  volume bigint,\n";
  for (const char* c : indicator_columns)
    ddl += std::string{"  "} + c + " double precision,\n";
  ddl += "  PRIMARY KEY (symbol, date)\n)";
  return ddl;
}

std::vector<migration> build() {
  std::vector<migration> all;
  all.push_back(
      {1,
       "initial schema",
       {
           indicators_ddl(),
           // [first_date, last_date]: the range whose fetch was planned AND completed (rows
           // stored); last_date is the last date planned and fetched. status of the latest task:
           // pending (never planned), planned (task_id outstanding for [planned_from, planned_to]),
           // done, failed (last_error; permanent = do not retry). attempts: consecutive failures of
           // the symbol's tasks (reset when one completes).
           "CREATE TABLE symbol_state (\n"
           "  symbol text PRIMARY KEY,\n"
           "  first_date date,\n"
           "  last_date date,\n"
           "  status text NOT NULL DEFAULT 'pending'\n"
           "    CHECK (status IN ('pending', 'planned', 'done', 'failed')),\n"
           "  planned_from date,\n"
           "  planned_to date,\n"
           "  task_id text,\n"
           "  last_error text,\n"
           "  permanent boolean NOT NULL DEFAULT false,\n"
           "  attempts integer NOT NULL DEFAULT 0,\n"
           "  updated_at timestamptz NOT NULL DEFAULT now()\n"
           ")",
           // next_offset: the next Kafka offset to consume (NULL: nothing committed yet).
           // owner_epoch: bumped by every claim; a commit must carry the current epoch.
           "CREATE TABLE processor_offsets (\n"
           "  consumer_group text NOT NULL,\n"
           "  topic text NOT NULL,\n"
           "  partition integer NOT NULL,\n"
           "  next_offset bigint,\n"
           "  owner_epoch bigint NOT NULL DEFAULT 0,\n"
           "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
           "  PRIMARY KEY (consumer_group, topic, partition)\n"
           ")",
           "CREATE TABLE processor_symbol_state (\n"
           "  symbol text PRIMARY KEY,\n"
           "  last_date date NOT NULL,\n"
           "  algo_version integer NOT NULL,\n"
           "  state bytea NOT NULL,\n"
           "  updated_at timestamptz NOT NULL DEFAULT now()\n"
           ")",
           "CREATE VIEW latest_indicators AS\n"
           "  SELECT DISTINCT ON (symbol) * FROM technical_indicators ORDER BY symbol, date DESC",
       }});
  all.push_back(
      {2,
       "backfill requests",
       {
           // symbols: empty = the whole universe. taken_at: set when a manager took the request.
           "CREATE TABLE backfill_requests (\n"
           "  id bigserial PRIMARY KEY,\n"
           "  symbols text[] NOT NULL DEFAULT '{}',\n"
           "  from_date date NOT NULL,\n"
           "  to_date date NOT NULL,\n"
           "  requested_at timestamptz NOT NULL DEFAULT now(),\n"
           "  taken_at timestamptz,\n"
           "  CHECK (from_date <= to_date)\n"
           ")",
           "CREATE INDEX backfill_requests_pending ON backfill_requests (id) WHERE taken_at IS "
           "NULL",
       }});
  all.push_back(
      {3,
       "symbol exclusions",
       {
           // Symbols an operator dropped (`finstream symbols drop`): every manager leaves them out
           // of the universe, whatever the universe file says. purged_at: their stored rows were
           // deleted (`--purge`).
           "CREATE TABLE symbol_exclusions (\n"
           "  symbol text PRIMARY KEY,\n"
           "  excluded_at timestamptz NOT NULL DEFAULT now(),\n"
           "  purged_at timestamptz\n"
           ")",
       }});
  all.push_back({4,
                 "task start times",
                 {
                     // started_at: when an agent started the outstanding task (NULL: not yet, e.g.
                     // still waiting in the task topic). Reset by every planning.
                     "ALTER TABLE symbol_state ADD COLUMN started_at timestamptz",
                 }});
  all.push_back({5,
                 "deployment-wide rate limits",
                 {
                     // One token bucket per name (e.g. "yahoo:query2.finance.yahoo.com"): tokens at
                     // updated_at (server clock); negative = reservations waiting for their turn.
                     "CREATE TABLE rate_limits (\n"
                     "  name text PRIMARY KEY,\n"
                     "  tokens double precision NOT NULL,\n"
                     "  updated_at timestamptz NOT NULL\n"
                     ")",
                 }});
  all.push_back({9,
                 "retention overrun resyncs",
                 {
                     // Symbols re-planned after their partition's stored offset fell below the
                     // log start (pg/retention_store.hpp): their computation restarts from scratch
                     // at the first batch of a task starting at or before from_date.
                     "CREATE TABLE processor_resyncs (\n"
                     "  symbol text PRIMARY KEY,\n"
                     "  from_date date NOT NULL,\n"
                     "  requested_at timestamptz NOT NULL DEFAULT now()\n"
                     ")",
                 }});
  return all;
}

migrate_result migrate_locked(connection& c) {
  c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (\n"
         "  version integer PRIMARY KEY,\n"
         "  name text NOT NULL,\n"
         "  applied_at timestamptz NOT NULL DEFAULT now()\n"
         ")");
  std::set<int> done;
  auto r = c.exec("SELECT version FROM schema_migrations");
  for (int i = 0; i < r.rows(); ++i)
    done.insert(static_cast<int>(r.int64(i, 0)));
  migrate_result out;
  for (const auto& m : migrations()) {
    if (done.count(m.version)) continue;
    transaction tx(c);
    for (const auto& s : m.statements)
      c.exec(s);
    c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name);
    tx.commit();
    out.applied.push_back(m.version);
    done.insert(m.version);
    log::info("pg", "migration_applied", {{"version", m.version}, {"name", m.name}});
  }
  out.version = done.empty() ? 0 : *done.rbegin();
  const int known = migrations().back().version;
  if (out.version > known)
    log::warn("pg", "schema_newer_than_binary", {{"schema", out.version}, {"binary", known}});
  return out;
}

} // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = build();
  return all;
}

migrate_result migrate(connection& c) {
  return c.with_retry([](connection& conn) {
    conn.query("SELECT pg_advisory_lock($1::bigint)", migrate_lock_key);
    try {
      auto out = migrate_locked(conn);
      conn.query("SELECT pg_advisory_unlock($1::bigint)", migrate_lock_key);
      return out;
    } catch (...) {
      // A lost session has released the lock already; otherwise release it before passing on.
      if (conn.is_ok()) {
        try {
          conn.query("SELECT pg_advisory_unlock($1::bigint)", migrate_lock_key);
        } catch (...) {
        }
      }
      throw;
    }
  });
}

} // namespace finstream::pg
