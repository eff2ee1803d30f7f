// A replica's identity in a deployment: per-pod role weights (--roles-file) and static Kafka group
// membership (--instance-id), with the guard that refuses a second live process using the same id.
#pragma once

#include <string>

#include "cli/settings.hpp"
#include "pg/leader_lock.hpp"

namespace finstream::cli {

/// The role weights this process runs: the content of the roles_file (trimmed) when that option
/// names a file that exists and is not empty, else the `roles` option. A roles_file that is named
/// but missing counts as empty (a downward-API file of an annotation the pod does not carry is
/// empty; a mount that is not there yet is not a reason to fail). Never throws for a missing file;
/// the result is parsed by the caller (actors::parse_roles).
std::string effective_roles(const settings& s);

/// Throws std::invalid_argument unless `id` is 1..200 characters of [A-Za-z0-9._-] (it becomes
/// part of Kafka's group.instance.id, of log lines and of a lock name).
void validate_instance_id(const std::string& id);

/// Holds, for its lifetime, a PostgreSQL session advisory lock named "finstream.instance.<id>".
/// Two processes of one deployment (one database) can therefore never run with the same instance
/// id: the second is refused at start with a clear error instead of both being fenced by Kafka in
/// turn. The lock goes with the process (a SIGKILLed pod's session ends when its socket closes), so
/// the same pod restarting gets it at once.
/// Threads: constructed and destroyed on one thread; no other use.
class instance_guard {
public:
  /// Validates `id`, then takes the lock. Throws std::runtime_error when another session holds it
  /// (or the database cannot be reached: then a warning names the cause).
  instance_guard(const std::string& dsn, const std::string& id);

private:
  pg::leader_lock lock_;
};

} // namespace finstream::cli
