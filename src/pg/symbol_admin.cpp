// Exclusions, retries and purges of symbols (see symbol_admin.hpp).
#include "pg/symbol_admin.hpp"

#include <stdexcept>

#include "core/log.hpp"
#include "core/symbol.hpp"

namespace finstream::pg {

namespace {

std::string checked_array(const std::vector<std::string>& symbols) {
  for (const auto& s : symbols)
    require_valid_symbol(s, "pg");
  return array_of(symbols);
}

std::vector<std::string> column(const result& r) {
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(r.str(i, 0));
  return out;
}

// Runs `sql` (one parameter: the symbols' array) and returns its first column, sorted by SQL.
std::vector<std::string> symbols_statement(connection& c, const std::vector<std::string>& symbols,
                                           const char* sql) {
  const auto arr = checked_array(symbols);
  if (symbols.empty()) return {};
  return column(c.with_retry([&](connection& conn) { return conn.query(sql, arr); }));
}

} // namespace

std::vector<std::string> read_exclusions(connection& c) {
  return column(c.with_retry([](connection& conn) {
    return conn.exec("SELECT symbol FROM symbol_exclusions ORDER BY symbol");
  }));
}

std::vector<std::string> exclude_symbols(connection& c, const std::vector<std::string>& symbols) {
  return symbols_statement(c, symbols,
                           "WITH added AS (\n"
                           "  INSERT INTO symbol_exclusions (symbol)\n"
                           "  SELECT DISTINCT unnest($1::text[])\n"
                           "  ON CONFLICT (symbol) DO NOTHING RETURNING symbol)\n"
                           "SELECT symbol FROM added ORDER BY symbol");
}

std::vector<std::string> include_symbols(connection& c, const std::vector<std::string>& symbols) {
  return symbols_statement(c, symbols,
                           "WITH removed AS (\n"
                           "  DELETE FROM symbol_exclusions WHERE symbol = ANY($1::text[])\n"
                           "  RETURNING symbol)\n"
                           "SELECT symbol FROM removed ORDER BY symbol");
}

std::vector<std::string> retry_symbols(connection& c, const std::vector<std::string>& symbols) {
  return symbols_statement(
      c, symbols,
      "WITH reset AS (\n"
      "  UPDATE symbol_state SET status = CASE WHEN last_date IS NULL THEN 'pending' ELSE 'done' "
      "END,\n"
      "    permanent = false, attempts = 0, last_error = NULL, task_id = NULL,\n"
      "    planned_from = NULL, planned_to = NULL, updated_at = now()\n"
      "  WHERE symbol = ANY($1::text[]) AND status = 'failed' RETURNING symbol)\n"
      "SELECT symbol FROM reset ORDER BY symbol");
}

purge_result purge_symbols(connection& c, const std::vector<std::string>& symbols) {
  const auto arr = checked_array(symbols);
  if (symbols.empty()) return {};
  return c.with_retry([&](connection& conn) {
    transaction tx(conn);
    auto missing = column(conn.query("SELECT s FROM unnest($1::text[]) AS u(s)\n"
                                     "WHERE NOT EXISTS (SELECT 1 FROM symbol_exclusions e\n"
                                     "                  WHERE e.symbol = u.s) ORDER BY s",
                                     arr));
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing)
        names += (names.empty() ? "" : ", ") + m;
      throw std::invalid_argument("purge: not excluded (drop them first): " + names);
    }
    // Marked first: a writer whose transaction starts after this commits filters these symbols.
    conn.query("UPDATE symbol_exclusions SET purged_at = now() WHERE symbol = ANY($1::text[])",
               arr);
    // The fence: like a new claim of every partition. Waits for a sink transaction in progress
    // (it holds its offsets' row locks) and refuses every batch prepared under the old epochs.
    purge_result out;
    out.fenced_partitions = static_cast<std::size_t>(
        conn.exec("UPDATE processor_offsets SET owner_epoch = owner_epoch + 1, updated_at = now()")
            .affected());
    // The same fence for writers without offsets (local mode), which hold it shared while they
    // commit (see pg::sink): waits for those in progress; later ones see the symbols purged.
    conn.exec("SELECT pg_advisory_xact_lock(hashtextextended('finstream.purge', 0))");
    out.rows = static_cast<std::size_t>(
        conn.query("DELETE FROM technical_indicators WHERE symbol = ANY($1::text[])", arr)
            .affected());
    conn.query("DELETE FROM processor_symbol_state WHERE symbol = ANY($1::text[])", arr);
    conn.query("DELETE FROM symbol_state WHERE symbol = ANY($1::text[])", arr);
    tx.commit();
    log::info("pg", "symbols_purged",
              {{"symbols", symbols.size()},
               {"rows", out.rows},
               {"fenced_partitions", out.fenced_partitions}});
    return out;
  });
}

} // namespace finstream::pg
