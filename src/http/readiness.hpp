// Readiness checks: named callbacks registered by the roles (e.g. "kafka", "postgres") and
// evaluated by GET /readyz.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace finstream::http {

class readiness;

/// Owns one check registration; destroying it (or reset()) removes the check. After reset()
/// returns the check is not running and will never be called again. Move-only; must not outlive
/// the readiness set.
class check_handle {
public:
  check_handle() = default;
  check_handle(check_handle&& other) noexcept;
  check_handle& operator=(check_handle&& other) noexcept;
  check_handle(const check_handle&) = delete;
  check_handle& operator=(const check_handle&) = delete;
  ~check_handle() { reset(); }

  void reset() noexcept;
  explicit operator bool() const noexcept { return owner_ != nullptr; }

private:
  friend class readiness;
  check_handle(readiness* owner, std::uint64_t id)
      : owner_(owner)
      , id_(id) {}
  readiness* owner_ = nullptr;
  std::uint64_t id_ = 0;
};

/// A set of named checks. The process is ready when every registered check returns true (so with
/// no check registered it is ready: roles register their checks before they start working).
/// Several registrations may share a name (e.g. every processor actor registers "postgres"); the
/// name fails when any of them fails.
///
/// Threads: add/reset/failing may be called from any thread. Checks run on the caller of
/// failing() (the HTTP server thread) under this set's mutex: a check must be quick and must not
/// block — read state its owner keeps up to date (an atomic flag, the last poll's result) — and
/// must not call into this set. A check that throws counts as failing.
class readiness {
public:
  using check_fn = std::function<bool()>;

  readiness() = default;
  readiness(const readiness&) = delete;
  readiness& operator=(const readiness&) = delete;

  /// The process-wide set served by the HTTP server by default (never destroyed).
  static readiness& global();

  /// Registers `fn` under `name` (non-empty, printable). Throws std::invalid_argument otherwise.
  [[nodiscard]] check_handle add(std::string name, check_fn fn);

  /// Names of the failing checks, sorted, without duplicates; empty when ready.
  std::vector<std::string> failing() const;

  /// Number of registered checks.
  std::size_t size() const;

private:
  friend class check_handle;
  void remove(std::uint64_t id) noexcept;

  struct entry {
    std::string name;
    check_fn fn;
  };
  mutable std::mutex mutex_;
  std::map<std::uint64_t, entry> checks_;
  std::uint64_t next_id_ = 1;
};

} // namespace finstream::http
