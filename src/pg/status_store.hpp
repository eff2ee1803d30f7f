// Read-only views for `finstream status`: which database session holds the managers' leader lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace finstream::pg {

/// The session holding the leader lock (pg_locks joined with pg_stat_activity). Fields other than
/// pid are empty when the server hides them (another role's session without pg_read_all_stats).
struct leader_session {
  std::int64_t pid = 0;
  std::string application_name;
  std::string client_addr;
  std::int64_t backend_start = 0; // seconds since the epoch (UTC), 0 when hidden
};

/// The holder of the advisory lock named `lock_name` (see leader_lock.hpp), nullopt when nobody
/// holds it (no active manager).
std::optional<leader_session> read_lock_holder(connection& c, const std::string& lock_name);

/// Every symbol with a symbol_state row, ascending (the universe when none is given).
std::vector<std::string> read_known_symbols(connection& c);

} // namespace finstream::pg
