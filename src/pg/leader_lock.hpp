// Leader election among replicas: a PostgreSQL session advisory lock held on a dedicated
// connection. The lock lives exactly as long as that session: if the connection drops (server
// restart, network, backend killed), the lock is gone, and is_held() reports it.
//
// Threads: one owner thread/actor. Blocking calls, each at most one connection attempt (bounded by
// the policy's connect timeout) plus one round trip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pg/connection.hpp"

namespace finstream::pg {

/// The lock the managers compete for (one active manager per database).
inline constexpr const char* manager_lock_name = "finstream.manager";

class leader_lock {
public:
  /// `name` identifies the lock (e.g. "finstream.manager"); all replicas use the same name and
  /// database. Does not connect yet.
  leader_lock(std::string dsn, std::string name, reconnect_policy policy = quick_policy());
  ~leader_lock();
  leader_lock(const leader_lock&) = delete;
  leader_lock& operator=(const leader_lock&) = delete;

  /// Tries once to take the lock (connecting first if needed). true: held now (also when it was
  /// already held). false: another session holds it, or the database cannot be reached (logged).
  bool try_acquire();
  /// Whether this session still holds the lock: one round trip that checks pg_locks. false when
  /// the connection is gone (the lock went with it). Never throws.
  bool is_held() noexcept;
  /// Releases the lock and closes the dedicated connection. Never throws.
  void release() noexcept;

  /// The 64-bit advisory lock key derived from the name (known after the first connection).
  std::optional<std::int64_t> key() const noexcept { return key_; }

  /// One connection attempt, no long backoff: leadership is retried by the caller's schedule.
  static reconnect_policy quick_policy();

private:
  std::string dsn_;
  std::string name_;
  reconnect_policy policy_;
  std::optional<connection> conn_;
  std::optional<std::int64_t> key_;
  bool held_ = false;
};

} // namespace finstream::pg
