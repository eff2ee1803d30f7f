// Versioned DDL of finstream's schema and the locked, idempotent runner (see migrations.hpp).
#include "pg/migrations.hpp"

#include <algorithm>
#include <set>

#include "core/indicator_row.hpp"
#include "core/log.hpp"
#include "pg/adopt.hpp"

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

} // namespace

// The newest row of each symbol, by index (migration 6); run again when columns are added.
const char* latest_indicators_view_sql() {
  return "DO $$\n"
         "DECLARE cols text;\n"
         "BEGIN\n"
         "  SELECT string_agg(CASE WHEN attname = 'symbol' THEN 's.symbol'\n"
         "                         ELSE 't.' || quote_ident(attname) END, ', ' ORDER BY attnum)\n"
         "    INTO cols FROM pg_attribute\n"
         "    WHERE attrelid = 'technical_indicators'::regclass AND attnum > 0\n"
         "      AND NOT attisdropped;\n"
         "  EXECUTE 'CREATE OR REPLACE VIEW latest_indicators AS SELECT ' || cols ||\n"
         "    ' FROM (SELECT symbol FROM symbol_state'\n"
         "    ' UNION SELECT symbol FROM processor_symbol_state) AS s'\n"
         "    ' CROSS JOIN LATERAL (SELECT * FROM technical_indicators i'\n"
         "    ' WHERE i.symbol = s.symbol ORDER BY i.date DESC LIMIT 1) AS t';\n"
         "END $$";
}

namespace {

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
  all.push_back(
      {6,
       "latest_indicators by index",
       {
           // The newest row of each symbol that symbol_state or processor_symbol_state knows (every
           // symbol a processor wrote rows for has a processor state, written by the same
           // transaction): one backward primary-key probe per symbol instead of a DISTINCT ON
           // over the whole table, so a lookup costs the same at any history length. A filter on
           // symbol reaches both tables' primary keys.
           // The columns are those of technical_indicators in table order (what the view's
           // `*` gave), the symbol taken from the driving table so that a filter on it reaches
           // both primary keys (a filter on the LATERAL side would not).
           latest_indicators_view_sql(),
       }});
  all.push_back(
      {7,
       "configurable indicator set",
       {
           // The active indicator set (pg/indicator_sets.hpp): one row, its canonical spec and a
           // version bumped by every change, which running processors poll at batch boundaries.
           // No row: the default set (a database of a binary that never changed it).
           "CREATE TABLE indicator_set (\n"
           "  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),\n"
           "  spec text NOT NULL,\n"
           "  version bigint NOT NULL,\n"
           "  changed_at timestamptz NOT NULL DEFAULT now()\n"
           ")",
           // Symbols whose stored rows lack an indicator added by set version `version`: the
           // processor owning the symbol fills it and deletes the entry in the same transaction.
           "CREATE TABLE indicator_fill_pending (\n"
           "  symbol text PRIMARY KEY,\n"
           "  version bigint NOT NULL\n"
           ")",
       }});
  all.push_back({8,
                 "recompute adopted symbols",
                 {
                     // No DDL: on a database whose version 1 adopted the original system's tables,
                     // request_adopted_recompute() records the backfill requests that make the
                     // processors recompute every adopted symbol (pg/adopt.hpp); elsewhere nothing.
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
  all.push_back({10,
                 "manager leader terms",
                 {
                     // The leader's term, raised by each manager that takes the leader lock and
                     // checked (row locked) in the transaction that records its planned tasks, so
                     // that a deposed leader's late planning is refused (pg/backfill_store.hpp).
                     "CREATE TABLE manager_term (\n"
                     "  id integer PRIMARY KEY CHECK (id = 1),\n"
                     "  term bigint NOT NULL\n"
                     ")",
                     "INSERT INTO manager_term VALUES (1, 0)",
                 }});
  return all;
}

constexpr const char* schema_migrations_ddl = "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
                                              "  version integer PRIMARY KEY,\n"
                                              "  name text NOT NULL,\n"
                                              "  applied_at timestamptz NOT NULL DEFAULT now()\n"
                                              ")";

// The versions recorded in schema_migrations (none when the table does not exist).
std::set<int> recorded_versions(connection& c) {
  std::set<int> done;
  if (c.exec("SELECT to_regclass('schema_migrations') IS NOT NULL").text(0, 0) != "t") return done;
  auto r = c.exec("SELECT version FROM schema_migrations");
  for (int i = 0; i < r.rows(); ++i)
    done.insert(static_cast<int>(r.int64(i, 0)));
  return done;
}

// `finstream migrate --plan`: what migrate_locked() would do, from reads only.
migrate_result plan_locked(connection& c, bool adopting) {
  migrate_result out;
  const auto done = recorded_versions(c);
  out.version = done.empty() ? 0 : *done.rbegin();
  for (const auto& m : migrations()) {
    if (done.count(m.version)) continue;
    if (m.version == 1 && adopting) {
      out.plan.push_back("version 1 (" + m.name +
                         "): adopt the original system's tables found in the database");
      for (const auto& line : plan_adoption(c))
        out.plan.push_back("  " + line);
      continue;
    }
    out.plan.push_back("version " + std::to_string(m.version) + ": " + m.name);
    if (m.version == 8 && adopting) out.plan.push_back("  " + adopted_recompute_plan());
  }
  return out;
}

migrate_result migrate_locked(connection& c, const migrate_options& opts) {
  const bool adopting = holds_original_tables(c);
  if (opts.plan_only) return plan_locked(c, adopting);
  if (adopting && !opts.adopt_original)
    throw pg_error(error_kind::other,
                   "the database holds the original system's tables (technical_indicators "
                   "without finstream's schema version 1): adopt them first, `finstream migrate "
                   "--plan` shows what changes and `finstream migrate` does it");
  // Adopting: schema_migrations is created with version 1, so that a refused adoption leaves the
  // original's database as it was.
  if (!adopting) c.exec(schema_migrations_ddl);
  auto done = recorded_versions(c);
  migrate_result out;
  for (const auto& m : migrations()) {
    if (done.count(m.version)) continue;
    transaction tx(c);
    const bool adopt = m.version == 1 && adopting;
    if (adopt) {
      c.exec(schema_migrations_ddl);
      adopt_original_tables(c, m.statements);
      out.adopted = true;
    } else {
      for (const auto& s : m.statements)
        c.exec(s);
    }
    if (m.version == 8) request_adopted_recompute(c);
    const std::string name = adopt ? std::string{adopted_v1_name} : m.name;
    c.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, name);
    tx.commit();
    out.applied.push_back(m.version);
    done.insert(m.version);
    log::info("pg", "migration_applied", {{"version", m.version}, {"name", name}});
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

migrate_result migrate(connection& c, const migrate_options& opts) {
  return c.with_retry([&opts](connection& conn) {
    conn.query("SELECT pg_advisory_lock($1::bigint)", migrate_lock_key);
    try {
      auto out = migrate_locked(conn, opts);
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
