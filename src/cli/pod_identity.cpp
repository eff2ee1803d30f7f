// Per-pod role weights and the static-membership guard (see pod_identity.hpp).
#include "cli/pod_identity.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/log.hpp"

namespace finstream::cli {

std::string effective_roles(const settings& s) {
  const auto& path = s.str("roles_file");
  if (!path.empty()) {
    std::ifstream in{path};
    std::ostringstream text;
    if (in) text << in.rdbuf();
    auto content = text.str();
    auto first = content.find_first_not_of(" \t\r\n\"");
    if (first != std::string::npos) {
      auto last = content.find_last_not_of(" \t\r\n\"");
      auto roles = content.substr(first, last - first + 1);
      log::info("main", "roles_from_file", {{"file", path}, {"roles", roles}});
      return roles;
    }
  }
  return s.str("roles");
}

void validate_instance_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 200;
  for (char c : id)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  if (!ok)
    throw std::invalid_argument("--instance-id must be 1..200 characters of A-Z a-z 0-9 . _ -");
}

instance_guard::instance_guard(const std::string& dsn, const std::string& id)
    : lock_(dsn, "finstream.instance." + id) {
  validate_instance_id(id);
  if (!lock_.try_acquire())
    throw std::runtime_error(
        "instance id '" + id +
        "' is in use by another running finstream process of this deployment (PostgreSQL "
        "advisory lock finstream.instance." +
        id + " is held), or the database is unreachable; two processes must not share "
             "--instance-id (static group membership)");
}

} // namespace finstream::cli
