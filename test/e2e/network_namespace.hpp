// Test helper: a network namespace joined to the host by a veth pair, whose traffic to a host
// port can be dropped (iptables) and restored: a real network fault for one replica.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace finstream::e2e {

/// Created on construction (fails the test when `ip` or `iptables` is missing or a step fails;
/// needs root), removed on destruction with its veth pair and every DROP rule it inserted.
/// Names carry the test's pid (netns fsnet-PID, veth fsnPIDh/fsnPIDn, rules commented fsnet-PID),
/// so parallel runs never collide; the /24 under 10.200.0.0/13 is drawn from the pid and moved on
/// while any local address or route already uses it. Leftovers of a run killed before its
/// destructor (a pid no longer alive) are removed on construction. Not thread-safe.
class network_namespace {
public:
  network_namespace();
  ~network_namespace();
  network_namespace(const network_namespace&) = delete;
  network_namespace& operator=(const network_namespace&) = delete;

  const std::string& name() const { return name_; }
  /// The host's end (services listen here) and the namespace's end of the veth pair.
  const std::string& host_address() const { return host_address_; }
  const std::string& ns_address() const { return ns_address_; }
  /// `program args...` run inside the namespace: `ip netns exec NAME program args...`.
  std::pair<std::string, std::vector<std::string>> exec(const std::string& program,
                                                        std::vector<std::string> args) const;
  /// The namespace's TCP packets to the host's `port` dropped on the host (INPUT chain) until
  /// restore(port): connections stay open and silent, new ones time out.
  void drop(int port);
  void restore(int port);

private:
  std::string rule(const char* op, int port) const;
  /// Rules, veth pair and namespace deleted (each step best-effort: a missing one is fine).
  void remove() noexcept;

  std::string ip_, iptables_;
  std::string name_, host_veth_, ns_veth_;
  std::string host_address_, ns_address_;
  std::set<int> dropped_;
};

} // namespace finstream::e2e
