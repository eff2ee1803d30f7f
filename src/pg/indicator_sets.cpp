// The active indicator set's table and its fill work list (see indicator_sets.hpp).
#include "pg/indicator_sets.hpp"

#include <stdexcept>

#include "pg/copy_format.hpp"
#include "pg/migrations.hpp"

namespace finstream::pg {

namespace {

bool table_exists(connection& c, const char* name) {
  auto r = c.query("SELECT to_regclass($1) IS NOT NULL", std::string{name});
  return r.str(0, 0) == "t";
}

} // namespace

std::optional<stored_indicator_set> read_indicator_set(connection& c) {
  return c.with_retry([](connection& conn) -> std::optional<stored_indicator_set> {
    if (!table_exists(conn, "indicator_set")) return std::nullopt;
    auto r = conn.exec("SELECT spec, version FROM indicator_set");
    if (r.rows() == 0) return std::nullopt;
    return stored_indicator_set{r.str(0, 0), r.int64(0, 1)};
  });
}

indicator_set_change write_indicator_set(connection& c, const std::string& spec,
                                         const std::vector<std::string>& columns,
                                         bool adds_indicators) {
  indicator_table_columns(columns); // throws on anything but plain identifiers
  return c.with_retry([&](connection& conn) {
    indicator_set_change out;
    transaction tx(conn);
    conn.query("SELECT pg_advisory_xact_lock($1::bigint)", std::string{indicator_set_lock_key});
    auto have = conn.exec("SELECT a.attname FROM pg_attribute a "
                          "WHERE a.attrelid = 'technical_indicators'::regclass AND a.attnum > 0 "
                          "AND NOT a.attisdropped");
    auto has = [&](const std::string& col) {
      for (int i = 0; i < have.rows(); ++i)
        if (have.str(i, 0) == col) return true;
      return false;
    };
    for (const auto& col : columns) {
      if (has(col)) continue;
      // A validated identifier (above): the one place a column name enters DDL.
      conn.exec("ALTER TABLE technical_indicators ADD COLUMN IF NOT EXISTS " + col +
                " double precision");
      out.added_columns.push_back(col);
    }
    // The view lists the table's columns as they were when it was made: the added ones too.
    if (!out.added_columns.empty()) conn.exec(latest_indicators_view_sql());
    auto cur = conn.exec("SELECT spec, version FROM indicator_set FOR UPDATE");
    const std::int64_t version = cur.rows() ? cur.int64(0, 1) : 0;
    out.now = {cur.rows() ? cur.str(0, 0) : std::string{}, version};
    if (cur.rows() == 0 || cur.str(0, 0) != spec) {
      out.changed = true;
      out.now = {spec, version + 1};
      conn.query("INSERT INTO indicator_set (spec, version) VALUES ($1, $2)\n"
                 "ON CONFLICT (singleton) DO UPDATE SET spec = EXCLUDED.spec,\n"
                 "  version = EXCLUDED.version, changed_at = now()",
                 spec, out.now.version);
      if (adds_indicators)
        out.fill_pending =
            conn.query("INSERT INTO indicator_fill_pending (symbol, version)\n"
                       "SELECT symbol, $1 FROM processor_symbol_state\n"
                       "ON CONFLICT (symbol) DO UPDATE SET version = EXCLUDED.version",
                       out.now.version)
                .affected();
    }
    tx.commit();
    return out;
  });
}

std::vector<std::string> fill_pending_symbols(connection& c, std::int64_t version) {
  auto r = c.with_retry([&](connection& conn) {
    return conn.query("SELECT p.symbol FROM indicator_fill_pending p\n"
                      "JOIN processor_symbol_state s ON s.symbol = p.symbol\n"
                      "WHERE p.version <= $1 ORDER BY p.symbol",
                      version);
  });
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(r.str(i, 0));
  return out;
}

std::int64_t fill_pending_count(connection& c) {
  return c.with_retry([](connection& conn) -> std::int64_t {
    if (!table_exists(conn, "indicator_fill_pending")) return 0;
    return conn
        .exec("SELECT count(*) FROM indicator_fill_pending p\n"
              "JOIN processor_symbol_state s ON s.symbol = p.symbol")
        .int64(0, 0);
  });
}

} // namespace finstream::pg
