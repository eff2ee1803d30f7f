// Adoption of the original system's tables (see adopt.hpp): catalog inspection, plan, conversion.
#include "pg/adopt.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/date.hpp"
#include "core/indicator_row.hpp"
#include "core/symbol.hpp"
#include "pg/backfill_store.hpp"

namespace finstream::pg {

namespace {

struct column_info {
  std::string name;
  std::string type; // format_type(): "double precision", "character varying(10)", ...
  bool not_null = false;
  std::string default_expr;
};

// Columns of finstream's technical_indicators (version 1), in table order, with their types.
std::vector<std::pair<std::string, std::string>> finstream_columns() {
  std::vector<std::pair<std::string, std::string>> out = {
      {"symbol", "text"},   {"date", "date"},   {"open", "double precision"},
      {"high", "double precision"}, {"low", "double precision"}, {"close", "double precision"},
      {"adj_close", "double precision"}, {"volume", "bigint"}};
  for (const char* c : indicator_columns)
    out.emplace_back(c, "double precision");
  return out;
}

std::vector<column_info> columns_of(connection& c, const char* table) {
  auto r = c.query("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,\n"
                   "  coalesce(pg_get_expr(d.adbin, d.adrelid), '')\n"
                   "FROM pg_attribute a\n"
                   "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum\n"
                   "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped\n"
                   "ORDER BY a.attnum",
                   table);
  std::vector<column_info> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.str(i, 0), r.str(i, 1), r.text(i, 2) == "t", r.str(i, 3)});
  return out;
}

const column_info* find(const std::vector<column_info>& cols, const std::string& name) {
  for (const auto& c : cols)
    if (c.name == name) return &c;
  return nullptr;
}

bool is_key_def(const std::string& def, const char* kind) {
  const std::string k = kind;
  return def == k + " (symbol, date)" || def == k + " (date, symbol)";
}

/// The USING expression that converts column `name` to `type`.
std::string conversion(const std::string& name, const std::string& type) {
  if (type == "bigint")
    // A FLOAT volume: whole numbers stay exact (below 2^53); NaN and infinities have no bigint.
    return "CASE WHEN " + name + "::text IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE round(" +
           name + "::numeric)::bigint END";
  return name + "::" + type;
}

/// What the catalog and the rows say, and the conversion it calls for.
struct inspection {
  std::vector<column_info> columns;       // technical_indicators as found
  std::vector<column_info> state_columns; // symbol_state as found (empty: none)
  std::vector<std::string> alter_actions; // of one ALTER TABLE technical_indicators
  std::vector<std::string> type_changes;  // "volume double precision -> bigint"
  std::vector<std::string> added;         // column names
  std::vector<std::string> kept_extra;    // "id integer DEFAULT nextval(...)"
  std::string old_key;                    // primary key definition replaced ("" = none)
  std::vector<std::string> dropped_unique;
  bool key_ok = false;                    // the primary key is (symbol, date) already
  std::vector<std::string> invalid_symbols;
};

[[noreturn]] void refuse(const std::string& why) {
  throw pg_error(error_kind::other, "finstream migrate: cannot adopt the existing tables: " + why);
}

inspection inspect(connection& c) {
  inspection in;
  in.columns = columns_of(c, "technical_indicators");
  if (!find(in.columns, "symbol") || !find(in.columns, "date"))
    refuse("technical_indicators has no symbol or no date column: it is neither finstream's table "
           "nor the original system's");
  auto nulls = c.exec("SELECT count(*) FROM technical_indicators WHERE symbol IS NULL OR date IS "
                      "NULL");
  if (nulls.int64(0, 0) > 0)
    refuse(nulls.str(0, 0) +
           " row(s) of technical_indicators have no symbol or no date; delete them (DELETE FROM "
           "technical_indicators WHERE symbol IS NULL OR date IS NULL) and run migrate again");
  if (c.exec("SELECT to_regclass('symbol_state') IS NOT NULL").text(0, 0) == "t") {
    in.state_columns = columns_of(c, "symbol_state");
    if (!find(in.state_columns, "symbol")) refuse("symbol_state has no symbol column");
  }

  // Keys: the primary key becomes (symbol, date); a UNIQUE (symbol, date) becomes redundant.
  auto cons = c.exec("SELECT quote_ident(conname), contype, pg_get_constraintdef(oid)\n"
                     "FROM pg_constraint WHERE conrelid = to_regclass('technical_indicators')\n"
                     "  AND contype IN ('p', 'u') ORDER BY conname");
  bool unique_key = false;
  for (int i = 0; i < cons.rows(); ++i) {
    const auto name = cons.str(i, 0);
    const auto def = cons.str(i, 2);
    if (cons.text(i, 1) == "p") {
      if (is_key_def(def, "PRIMARY KEY")) {
        in.key_ok = true;
      } else {
        in.old_key = def;
        in.alter_actions.push_back("DROP CONSTRAINT " + name);
      }
    } else if (is_key_def(def, "UNIQUE")) {
      unique_key = true;
      in.dropped_unique.push_back(name);
      if (!in.key_ok) in.alter_actions.push_back("DROP CONSTRAINT " + name);
    }
  }
  if (in.key_ok) in.dropped_unique.clear();
  const auto* date_col = find(in.columns, "date");
  if (!in.key_ok && (!unique_key || date_col->type != "date")) {
    auto dup = c.exec("SELECT count(*) FROM (SELECT 1 FROM technical_indicators\n"
                      "  GROUP BY symbol::text, date::date HAVING count(*) > 1) AS d");
    if (dup.int64(0, 0) > 0)
      refuse(dup.str(0, 0) + " (symbol, date) pair(s) of technical_indicators are stored more than "
                             "once; keep one row of each and run migrate again");
  }

  // Columns: finstream's types, finstream's missing columns, the others kept.
  for (const auto& [name, type] : finstream_columns()) {
    const auto* col = find(in.columns, name);
    if (col == nullptr) {
      in.alter_actions.push_back("ADD COLUMN " + name + " " + type);
      in.added.push_back(name);
    } else if (col->type != type) {
      in.alter_actions.push_back("ALTER COLUMN " + name + " TYPE " + type + " USING " +
                                 conversion(name, type));
      in.type_changes.push_back(name + " " + col->type + " -> " + type);
    }
  }
  std::set<std::string> ours;
  for (const auto& [name, type] : finstream_columns())
    ours.insert(name);
  for (const auto& col : in.columns) {
    if (ours.count(col.name)) continue;
    std::string kept = col.name + " " + col.type;
    if (!col.default_expr.empty()) kept += " DEFAULT " + col.default_expr;
    in.kept_extra.push_back(kept);
    // finstream's writes do not name it: NOT NULL would refuse them.
    if (col.not_null) {
      auto q = c.query("SELECT quote_ident($1)", col.name);
      in.alter_actions.push_back("ALTER COLUMN " + q.str(0, 0) + " DROP NOT NULL");
    }
  }
  for (const char* key : {"symbol", "date"})
    if (!find(in.columns, key)->not_null)
      in.alter_actions.push_back(std::string{"ALTER COLUMN "} + key + " SET NOT NULL");
  if (!in.key_ok) in.alter_actions.push_back("ADD PRIMARY KEY (symbol, date)");

  // Symbols finstream refuses (validation before any request or SQL): kept, never processed.
  std::string symbols_sql = "SELECT DISTINCT symbol::text FROM technical_indicators";
  if (!in.state_columns.empty())
    symbols_sql += " UNION SELECT symbol::text FROM symbol_state WHERE symbol IS NOT NULL";
  auto syms = c.exec(symbols_sql);
  for (int i = 0; i < syms.rows(); ++i)
    if (symbol_error(syms.text(i, 0))) in.invalid_symbols.push_back(syms.str(i, 0));
  std::sort(in.invalid_symbols.begin(), in.invalid_symbols.end());
  return in;
}

// Per symbol with stored rows: first stored date, last stored date, and the end of its coverage
// (the row before its first gap of more than adoption_gap_days, else its last row).
std::string coverage_sql() {
  return "SELECT symbol::text AS symbol, min(date) AS first_date, max(date) AS last_stored,\n"
         "  coalesce(min(prev) FILTER (WHERE date - prev > " +
         std::to_string(adoption_gap_days) +
         "), max(date)) AS covered_to\n"
         "FROM (SELECT symbol, date::date AS date,\n"
         "        lag(date::date) OVER (PARTITION BY symbol ORDER BY date) AS prev\n"
         "      FROM technical_indicators) AS d\n"
         "GROUP BY symbol";
}

/// The object a DDL statement of version 1 creates ("CREATE TABLE x (", "CREATE VIEW x AS").
std::string created_object(const std::string& ddl) {
  for (const char* prefix : {"CREATE TABLE ", "CREATE VIEW ", "CREATE INDEX "}) {
    const std::string p = prefix;
    if (ddl.compare(0, p.size(), p) == 0) {
      auto end = ddl.find_first_of(" (\n", p.size());
      return ddl.substr(p.size(), end - p.size());
    }
  }
  return {};
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string examples(const std::vector<std::string>& v) {
  std::vector<std::string> head(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(
                                                          std::min<std::size_t>(v.size(), 3)));
  return join(head, "; ") + (v.size() > 3 ? "; ..." : "");
}

} // namespace

bool holds_original_tables(connection& c) {
  auto r = c.exec("SELECT to_regclass('technical_indicators') IS NOT NULL,\n"
                  "       to_regclass('schema_migrations') IS NOT NULL");
  if (r.text(0, 0) != "t") return false;
  if (r.text(0, 1) != "t") return true;
  return c.exec("SELECT count(*) FROM schema_migrations WHERE version = 1").int64(0, 0) == 0;
}

std::vector<std::string> plan_adoption(connection& c) {
  const auto in = inspect(c);
  std::vector<std::string> out;
  const bool has_rsi_macd = find(in.columns, "rsi") && find(in.columns, "macd");
  auto stats = c.exec(std::string{"SELECT count(*), count(DISTINCT symbol), coalesce(min(date)::text, "
                                  "'-'), coalesce(max(date)::text, '-'), "} +
                      (has_rsi_macd ? "count(*) FILTER (WHERE rsi IS NOT NULL AND rsi <> 'NaN' AND macd = rsi)"
                                    : "0") +
                      " FROM technical_indicators");
  out.push_back("technical_indicators: keep all " + stats.str(0, 0) + " rows (" + stats.str(0, 1) +
                " symbols, " + stats.str(0, 2) + " .. " + stats.str(0, 3) + ")");
  if (!in.key_ok)
    out.push_back("  primary key (symbol, date)" +
                  (in.old_key.empty() ? std::string{} : " instead of " + in.old_key) +
                  (in.dropped_unique.empty()
                       ? std::string{}
                       : "; drop constraint " + join(in.dropped_unique) +
                             " (UNIQUE (symbol, date): the primary key replaces it; ON CONFLICT "
                             "(symbol, date) keeps working)"));
  if (!in.type_changes.empty())
    out.push_back("  change column types: " + join(in.type_changes) +
                  " (a volume is rounded to a whole number; NaN becomes NULL)");
  if (!in.added.empty())
    out.push_back("  add " + std::to_string(in.added.size()) + " columns: " + join(in.added));
  if (!in.kept_extra.empty())
    out.push_back("  keep column(s) " + join(in.kept_extra, "; ") +
                  " (not NULL-constrained any more: finstream's writes do not name them; the "
                  "original's INSERTs still fill them)");
  out.push_back("  recompute every indicator column of every row from the stored bars (" +
                stats.str(0, 4) +
                " rows hold a MACD equal to their RSI: the original copied its RSI into MACD)");

  // Coverage against what the original planned.
  std::string sql = "WITH c AS (" + coverage_sql() + ")";
  const bool planned = !in.state_columns.empty() && find(in.state_columns, "last_date");
  if (!in.state_columns.empty())
    sql += ", o AS (SELECT symbol::text AS symbol, " +
           std::string{planned ? "max(last_date::date)" : "NULL::date"} +
           " AS planned FROM symbol_state WHERE symbol IS NOT NULL GROUP BY symbol)\n"
           "SELECT coalesce(c.symbol, o.symbol), c.first_date::text, c.covered_to::text,\n"
           "  c.last_stored::text, o.planned::text\n"
           "FROM c FULL JOIN o ON o.symbol = c.symbol ORDER BY 1";
  else
    sql += "\nSELECT symbol, first_date::text, covered_to::text, last_stored::text, NULL::text\n"
           "FROM c ORDER BY 1";
  auto cov = c.exec(sql);
  const std::set<std::string> invalid(in.invalid_symbols.begin(), in.invalid_symbols.end());
  std::size_t covered = 0;
  std::vector<std::string> past, gaps, empty;
  for (int i = 0; i < cov.rows(); ++i) {
    const auto symbol = cov.str(i, 0);
    if (invalid.count(symbol)) continue;
    if (cov.is_null(i, 1)) {
      empty.push_back(symbol);
      continue;
    }
    ++covered;
    const auto to = cov.str(i, 2), last = cov.str(i, 3);
    if (to != last) gaps.push_back(symbol + ": rows to " + to + ", then from a later date");
    if (!cov.is_null(i, 4) && cov.str(i, 4) > last)
      past.push_back(symbol + ": planned through " + cov.str(i, 4) + ", rows through " + last);
  }
  out.push_back(std::string{"symbol_state: "} +
                (in.state_columns.empty() ? "create it" : "replaced by finstream's") +
                ", with each symbol's coverage [first_date, last_date] from the rows stored (the "
                "original's last_date was the last date planned, not stored): " +
                std::to_string(covered) + " symbols with rows");
  if (!past.empty())
    out.push_back("  " + std::to_string(past.size()) +
                  " symbols were planned past their last stored row; the manager fetches the "
                  "rest (" + examples(past) + ")");
  if (!gaps.empty())
    out.push_back("  " + std::to_string(gaps.size()) + " symbols have a gap of more than " +
                  std::to_string(adoption_gap_days) +
                  " days between stored rows: coverage ends before it and the manager fetches "
                  "again from there (" + examples(gaps) + ")");
  if (!empty.empty())
    out.push_back("  " + std::to_string(empty.size()) +
                  " symbols of symbol_state have no stored row: pending (" + examples(empty) + ")");
  if (!in.invalid_symbols.empty())
    out.push_back("  " + std::to_string(in.invalid_symbols.size()) +
                  " symbols are not valid finstream symbols: their rows stay as they are, "
                  "finstream never processes them (" + examples(in.invalid_symbols) + ")");
  out.push_back("processor_symbol_state: the state of the " + std::to_string(covered) +
                " symbols with rows is marked unusable, so that the first batch a processor gets "
                "for a symbol recomputes all its rows from its stored bars");
  return out;
}

void adopt_original_tables(connection& c, const std::vector<std::string>& v1_statements) {
  const auto in = inspect(c);
  const auto invalid = array_of(in.invalid_symbols);
  for (const auto& ddl : v1_statements) {
    const auto object = created_object(ddl);
    if (object == "technical_indicators") {
      if (!in.alter_actions.empty())
        // One statement: at most one rewrite of the table, however many columns change.
        c.exec("ALTER TABLE technical_indicators\n  " + join(in.alter_actions, ",\n  "));
    } else if (object == "symbol_state") {
      c.exec("CREATE TEMPORARY TABLE finstream_adopted_state ON COMMIT DROP AS\n" +
             (in.state_columns.empty()
                  ? std::string{"SELECT NULL::text AS symbol WHERE false"}
                  : std::string{"SELECT DISTINCT symbol::text AS symbol FROM symbol_state WHERE "
                                "symbol IS NOT NULL"}));
      if (!in.state_columns.empty()) c.exec("DROP TABLE symbol_state");
      c.exec(ddl);
      c.query("INSERT INTO symbol_state (symbol, first_date, last_date, status)\n"
              "SELECT k.symbol, c.first_date, c.covered_to,\n"
              "  CASE WHEN c.symbol IS NULL THEN 'pending' ELSE 'done' END\n"
              "FROM (SELECT symbol FROM finstream_adopted_state\n"
              "      UNION SELECT DISTINCT symbol::text FROM technical_indicators) AS k\n"
              "LEFT JOIN (" + coverage_sql() + ") AS c ON c.symbol = k.symbol\n"
              "WHERE k.symbol <> ALL($1::text[])",
              invalid);
    } else {
      c.exec(ddl);
    }
  }
  // Unusable state (version 0, no bytes): the processor recomputes the symbol from its stored bars.
  c.query("INSERT INTO processor_symbol_state (symbol, last_date, algo_version, state)\n"
          "SELECT symbol, max(date), 0, ''::bytea FROM technical_indicators\n"
          "WHERE symbol <> ALL($1::text[]) GROUP BY symbol",
          invalid);
}

void request_adopted_recompute(connection& c) {
  auto v1 = c.exec("SELECT name FROM schema_migrations WHERE version = 1");
  if (v1.rows() == 0 || v1.text(0, 0) != adopted_v1_name) return;
  auto r = c.exec("SELECT last_date - DATE '1970-01-01', array_to_string(array_agg(symbol ORDER BY "
                  "symbol), ',')\n"
                  "FROM symbol_state WHERE status = 'done' AND last_date IS NOT NULL\n"
                  "GROUP BY last_date ORDER BY last_date");
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<std::string> symbols;
    std::string list = r.str(i, 1);
    for (std::size_t pos = 0; pos <= list.size();) {
      auto comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      symbols.push_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
    const auto day = static_cast<day_t>(r.int64(i, 0));
    request_backfill(c, symbols, day, day);
  }
}

std::string adopted_recompute_plan() {
  return "record one backfill request of each adopted symbol's last covered session: the "
         "manager's first tick plans a task for every adopted symbol, and the processor that "
         "gets its batch recomputes the symbol's rows (a symbol whose source no longer answers "
         "keeps the original's values until a task for it succeeds)";
}

} // namespace finstream::pg
