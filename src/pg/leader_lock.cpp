// Session advisory lock on a dedicated connection (see leader_lock.hpp).
#include "pg/leader_lock.hpp"

#include "core/log.hpp"

namespace finstream::pg {

reconnect_policy leader_lock::quick_policy() {
  reconnect_policy p;
  p.give_up_after = std::chrono::milliseconds{0};
  p.connect_timeout_s = 5;
  p.max_retries = 0;
  return p;
}

leader_lock::leader_lock(std::string dsn, std::string name, reconnect_policy policy)
    : dsn_(std::move(dsn))
    , name_(std::move(name))
    , policy_(policy) {}

leader_lock::~leader_lock() {
  release();
}

bool leader_lock::try_acquire() {
  try {
    if (held_ && is_held()) return true;
    held_ = false;
    if (!conn_ || !conn_->is_ok()) {
      conn_.reset();
      conn_.emplace(dsn_, policy_);
    }
    if (!key_) key_ = conn_->query("SELECT hashtextextended($1, 0)", name_).int64(0, 0);
    auto r = conn_->query("SELECT pg_try_advisory_lock($1::bigint)", *key_);
    held_ = r.text(0, 0) == "t";
    if (held_) log::info("pg", "leader_lock_acquired", {{"lock", name_}});
    return held_;
  } catch (const pg_error& e) {
    if (e.kind() == error_kind::other) throw;
    log::warn("pg", "leader_lock_unreachable", {{"lock", name_}, {"error", e.what()}});
    conn_.reset();
    held_ = false;
    return false;
  }
}

bool leader_lock::is_held() noexcept {
  if (!held_ || !conn_ || !key_) return false;
  try {
    // A bigint advisory key appears in pg_locks as classid = high 32 bits, objid = low 32 bits,
    // objsubid = 1.
    const auto k = static_cast<std::uint64_t>(*key_);
    auto r = conn_->query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'\n"
                          "  AND pid = pg_backend_pid() AND granted AND classid = $1::oid\n"
                          "  AND objid = $2::oid AND objsubid = 1",
                          static_cast<std::uint32_t>(k >> 32),
                          static_cast<std::uint32_t>(k & 0xffffffffu));
    held_ = r.int64(0, 0) > 0;
  } catch (const std::exception& e) {
    log::warn("pg", "leader_lock_lost", {{"lock", name_}, {"error", e.what()}});
    held_ = false;
    conn_.reset();
  }
  return held_;
}

void leader_lock::release() noexcept {
  if (conn_ && conn_->is_ok() && held_ && key_) {
    try {
      conn_->query("SELECT pg_advisory_unlock($1::bigint)", *key_);
    } catch (...) {
      // Closing the session below releases the lock anyway.
    }
  }
  if (held_) log::info("pg", "leader_lock_released", {{"lock", name_}});
  held_ = false;
  conn_.reset();
}

} // namespace finstream::pg
