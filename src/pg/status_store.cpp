// Leader lock holder (see status_store.hpp).
#include "pg/status_store.hpp"

namespace finstream::pg {

std::optional<leader_session> read_lock_holder(connection& c, const std::string& lock_name) {
  // Same key derivation as leader_lock; a bigint advisory key shows in pg_locks as
  // classid = high 32 bits, objid = low 32 bits, objsubid = 1.
  auto r = c.with_retry([&](connection& conn) {
    return conn.query(
        "WITH k AS (SELECT hashtextextended($1, 0) AS key)\n"
        "SELECT l.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''),\n"
        "  coalesce(floor(extract(epoch FROM a.backend_start))::bigint, 0)\n"
        "FROM k, pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid\n"
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1\n"
        "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())\n"
        "  AND l.classid = ((k.key >> 32) & 4294967295)::oid\n"
        "  AND l.objid = (k.key & 4294967295)::oid\n"
        "LIMIT 1",
        lock_name);
  });
  if (r.rows() == 0) return std::nullopt;
  leader_session s;
  s.pid = r.int64(0, 0);
  s.application_name = r.str(0, 1);
  s.client_addr = r.str(0, 2);
  s.backend_start = r.int64(0, 3);
  return s;
}

std::vector<std::string> read_known_symbols(connection& c) {
  auto r = c.with_retry(
      [](connection& conn) { return conn.exec("SELECT symbol FROM symbol_state ORDER BY symbol"); });
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(r.str(i, 0));
  return out;
}

} // namespace finstream::pg
