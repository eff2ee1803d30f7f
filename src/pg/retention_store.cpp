// Retention overruns recorded in PostgreSQL (see retention_store.hpp).
#include "pg/retention_store.hpp"

#include <algorithm>

#include "core/symbol.hpp"

namespace finstream::pg {

std::optional<std::vector<replan_request>>
record_retention_overrun(connection& c, const retention_overrun& o,
                         const std::function<std::int32_t(const std::string&)>& partition_of) {
  return c.with_retry([&](connection& conn) -> std::optional<std::vector<replan_request>> {
    transaction tx(conn);
    auto moved = conn.query("UPDATE processor_offsets SET next_offset = $5, updated_at = now()\n"
                            "WHERE consumer_group = $1 AND topic = $2 AND partition = $3\n"
                            "  AND owner_epoch = $4 AND COALESCE(next_offset, 0) = $6",
                            o.group, o.topic, o.partition, o.epoch, o.log_start,
                            o.stored.value_or(0));
    if (moved.affected() != 1) return std::nullopt; // claimed or advanced since: not ours
    // Every known symbol with its known range; index probes on (symbol, date) for the stored rows.
    auto r = conn.exec(
        "WITH s AS (SELECT symbol FROM symbol_state UNION SELECT symbol FROM "
        "processor_symbol_state)\n"
        "SELECT s.symbol,\n"
        "  LEAST(st.first_date, st.planned_from,\n"
        "        (SELECT min(t.date) FROM technical_indicators t WHERE t.symbol = s.symbol))\n"
        "    - DATE '1970-01-01',\n"
        "  GREATEST(st.last_date, st.planned_to,\n"
        "           (SELECT max(t.date) FROM technical_indicators t WHERE t.symbol = s.symbol))\n"
        "    - DATE '1970-01-01'\n"
        "FROM s LEFT JOIN symbol_state st USING (symbol)");
    std::map<std::pair<day_t, day_t>, replan_request> by_range;
    std::vector<std::string> symbols;
    std::vector<std::string> froms;
    for (int i = 0; i < r.rows(); ++i) {
      if (r.is_null(i, 1)) continue; // nothing stored or planned: normal planning covers it
      auto symbol = r.str(i, 0);
      if (!is_valid_symbol(symbol) || partition_of(symbol) != o.partition) continue;
      auto from = static_cast<day_t>(r.int64(i, 1));
      auto to = static_cast<day_t>(r.int64(i, 2));
      auto& req = by_range[{from, to}];
      req.from = from;
      req.to = to;
      req.symbols.push_back(symbol);
      symbols.push_back(symbol);
      froms.push_back(format_date(from));
    }
    std::vector<replan_request> out;
    for (auto& [range, req] : by_range) {
      req.backfill_id = conn.query("INSERT INTO backfill_requests (symbols, from_date, to_date)\n"
                                   "VALUES ($1::text[], $2, $3) RETURNING id",
                                   array_of(req.symbols), format_date(req.from),
                                   format_date(req.to))
                            .int64(0, 0);
      out.push_back(std::move(req));
    }
    if (!symbols.empty())
      conn.query("INSERT INTO processor_resyncs (symbol, from_date)\n"
                 "SELECT * FROM unnest($1::text[], $2::date[])\n"
                 "ON CONFLICT (symbol) DO UPDATE\n"
                 "  SET from_date = LEAST(processor_resyncs.from_date, EXCLUDED.from_date),\n"
                 "      requested_at = now()",
                 array_of(symbols), array_of(froms));
    tx.commit();
    return out;
  });
}

std::map<std::string, day_t> pending_resyncs(connection& c) {
  auto r = c.with_retry([](connection& conn) {
    return conn.exec("SELECT symbol, from_date - DATE '1970-01-01' FROM processor_resyncs");
  });
  std::map<std::string, day_t> out;
  for (int i = 0; i < r.rows(); ++i)
    out[r.str(i, 0)] = static_cast<day_t>(r.int64(i, 1));
  return out;
}

void finish_resync(connection& c, const std::string& symbol, day_t from) {
  require_valid_symbol(symbol, "pg");
  c.with_retry([&](connection& conn) {
    conn.query("DELETE FROM processor_resyncs WHERE symbol = $1 AND from_date = $2", symbol,
               format_date(from));
    return 0;
  });
}

} // namespace finstream::pg
