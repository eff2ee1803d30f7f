// symbol_state reads and planning writes for the manager (see manager_store.hpp).
#include "pg/manager_store.hpp"

#include <set>
#include <stdexcept>

#include "core/symbol.hpp"

namespace finstream::pg {

namespace {

std::optional<day_t> opt_day(const result& r, int row, int col) {
  if (r.is_null(row, col)) return std::nullopt;
  return static_cast<day_t>(r.int64(row, col));
}

} // namespace

std::vector<symbol_state_row> read_symbol_states(connection& c,
                                                 const std::vector<std::string>& symbols) {
  for (const auto& s : symbols)
    require_valid_symbol(s, "pg");
  if (symbols.empty()) return {};
  const auto arr = array_of(symbols);
  auto r = c.with_retry([&](connection& conn) {
    return conn.query(
        "SELECT symbol, first_date - DATE '1970-01-01', last_date - DATE '1970-01-01', status, "
        "planned_from - DATE '1970-01-01',\n"
        "  planned_to - DATE '1970-01-01', task_id, last_error, permanent, attempts,\n"
        "  floor(extract(epoch FROM updated_at))::bigint,\n"
        "  floor(extract(epoch FROM started_at) * 1000)::bigint\n"
        "FROM symbol_state WHERE symbol = ANY($1::text[]) ORDER BY symbol",
        arr);
  });
  std::vector<symbol_state_row> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    symbol_state_row s;
    s.symbol = r.str(i, 0);
    s.first_date = opt_day(r, i, 1);
    s.last_date = opt_day(r, i, 2);
    s.status = r.str(i, 3);
    s.planned_from = opt_day(r, i, 4);
    s.planned_to = opt_day(r, i, 5);
    s.task_id = r.str(i, 6);
    s.last_error = r.str(i, 7);
    s.permanent = r.text(i, 8) == "t";
    s.attempts = static_cast<std::int32_t>(r.int64(i, 9));
    s.updated_at = r.int64(i, 10);
    if (!r.is_null(i, 11)) s.started_at_ms = r.int64(i, 11);
    out.push_back(std::move(s));
  }
  return out;
}

std::size_t mark_planned_once(connection& c, const std::vector<planned_task>& tasks) {
  std::set<std::string> seen;
  std::vector<param> sym, task, from, to;
  for (const auto& t : tasks) {
    require_valid_symbol(t.symbol, "pg");
    if (!seen.insert(t.symbol).second)
      throw std::invalid_argument("pg: mark_planned: symbol " + t.symbol + " appears twice");
    if (t.from > t.to) throw std::invalid_argument("pg: mark_planned: empty range for " + t.symbol);
    sym.push_back(t.symbol);
    task.push_back(t.task_id);
    from.push_back(format_date(t.from));
    to.push_back(format_date(t.to));
  }
  if (tasks.empty()) return 0;
  const auto a = array_literal(sym), b = array_literal(task), f = array_literal(from),
             e = array_literal(to);
  auto r = c.query(
        "INSERT INTO symbol_state AS s (symbol, status, task_id, planned_from, planned_to,\n"
        "  updated_at)\n"
        "SELECT u.symbol, 'planned', u.task_id, u.planned_from, u.planned_to, now()\n"
        "FROM unnest($1::text[], $2::text[], $3::date[], $4::date[])\n"
        "  AS u(symbol, task_id, planned_from, planned_to)\n"
        "ON CONFLICT (symbol) DO UPDATE SET status = 'planned', task_id = EXCLUDED.task_id,\n"
        "  planned_from = EXCLUDED.planned_from, planned_to = EXCLUDED.planned_to,\n"
        "  permanent = false, started_at = NULL, updated_at = now()",
        a, b, f, e);
  return static_cast<std::size_t>(r.affected());
}

std::size_t mark_planned(connection& c, const std::vector<planned_task>& tasks) {
  return c.with_retry([&](connection& conn) { return mark_planned_once(conn, tasks); });
}

bool record_task_start(connection& c, const std::string& symbol, const std::string& task_id) {
  require_valid_symbol(symbol, "pg");
  auto r = c.with_retry([&](connection& conn) {
    return conn.query("UPDATE symbol_state SET started_at = now()\n"
                      "WHERE symbol = $1 AND task_id = $2 AND status = 'planned'",
                      symbol, task_id);
  });
  return r.affected() == 1;
}

} // namespace finstream::pg
