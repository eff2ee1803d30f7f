// Backfill request queue in PostgreSQL (see backfill_store.hpp).
#include "pg/backfill_store.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/symbol.hpp"

namespace finstream::pg {

std::int64_t request_backfill(connection& c, const std::vector<std::string>& symbols, day_t from,
                              day_t to) {
  for (const auto& s : symbols)
    require_valid_symbol(s, "pg");
  if (from > to) throw std::invalid_argument("pg: backfill range is empty (from > to)");
  const auto arr = array_of(symbols);
  // Not retried: a request whose acknowledgement was lost would be recorded twice.
  auto r = c.query("INSERT INTO backfill_requests (symbols, from_date, to_date)\n"
                   "VALUES ($1::text[], $2, $3) RETURNING id",
                   arr, format_date(from), format_date(to));
  return r.int64(0, 0);
}

std::vector<backfill_request> pending_backfill_requests(connection& c) {
  // Valid symbols hold no comma, so array_to_string/split is an exact round trip.
  auto r = c.with_retry([](connection& conn) {
    return conn.exec("SELECT id, array_to_string(symbols, ','), from_date - DATE '1970-01-01',\n"
                     "  to_date - DATE '1970-01-01'\n"
                     "FROM backfill_requests WHERE taken_at IS NULL ORDER BY id");
  });
  std::vector<backfill_request> out;
  for (int i = 0; i < r.rows(); ++i) {
    backfill_request q;
    q.id = r.int64(i, 0);
    auto list = r.text(i, 1);
    while (!list.empty()) {
      auto comma = list.find(',');
      q.symbols.emplace_back(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    q.from = static_cast<day_t>(r.int64(i, 2));
    q.to = static_cast<day_t>(r.int64(i, 3));
    out.push_back(std::move(q));
  }
  return out;
}

std::int64_t begin_leader_term(connection& c) {
  return c.with_retry([](connection& conn) {
    return conn.exec("UPDATE manager_term SET term = term + 1 WHERE id = 1 RETURNING term")
        .int64(0, 0);
  });
}

std::optional<std::size_t> mark_planned_settling(connection& c,
                                                 const std::vector<planned_task>& tasks,
                                                 const std::vector<backfill_settlement>& settlements,
                                                 std::optional<std::int64_t> term) {
  for (const auto& s : settlements)
    for (const auto& sym : s.remaining)
      require_valid_symbol(sym, "pg");
  return c.with_retry([&](connection& conn) -> std::optional<std::size_t> {
    transaction tx(conn);
    if (term) {
      // The fence: a newer leader's begin_leader_term() either waits for this transaction (the
      // row is locked until it ends) or has already raised the term, and then nothing is written.
      auto r = conn.exec("SELECT term FROM manager_term WHERE id = 1 FOR SHARE");
      if (r.rows() != 1 || r.int64(0, 0) != *term) return std::nullopt; // rolled back
    }
    for (const auto& s : settlements) {
      if (s.taken)
        conn.query("UPDATE backfill_requests SET taken_at = now() WHERE id = $1", s.id);
      else
        conn.query("UPDATE backfill_requests SET symbols = $2::text[] WHERE id = $1", s.id,
                   array_of(s.remaining));
    }
    auto n = mark_planned_once(conn, tasks); // throws (rolling the settlements back) when invalid
    tx.commit();
    return n;
  });
}

} // namespace finstream::pg
