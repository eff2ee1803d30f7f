// Test helper: a network namespace behind a veth pair (see network_namespace.hpp).
#include "network_namespace.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <unistd.h>

#include "support/private_postgres.hpp"

namespace finstream::e2e {

namespace {

/// Runs `cmd` (stdout+stderr captured); fails the test when it exits non-zero.
std::string must(const std::string& cmd) {
  std::string out;
  int rc = test::run_command(cmd, &out);
  if (rc != 0) FAIL(cmd << " failed (" << rc << "): " << out);
  return out;
}

/// The absolute path of a tool; fails the test when it is not installed (Debian packages from
/// scripts/tools/infra-apt.sh).
std::string tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"})
    if (::access((std::string{dir} + name).c_str(), X_OK) == 0) return std::string{dir} + name;
  FAIL(name << " is not installed (scripts/tools/infra-apt.sh installs it)");
  return {};
}

bool alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

/// Namespaces, veths and rules of earlier runs whose test process is gone (killed by a timeout
/// before its destructor ran).
void sweep_leftovers(const std::string& ip, const std::string& iptables) {
  std::string out;
  test::run_command(ip + " netns list", &out);
  std::istringstream lines{out};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("fsnet-", 0) != 0) continue;
    auto name = line.substr(0, line.find(' '));
    long pid = std::atol(name.c_str() + 6);
    if (pid <= 0 || alive(pid)) continue;
    test::run_command(ip + " link del fsn" + std::to_string(pid) + "h");
    test::run_command(ip + " netns del " + name);
  }
  test::run_command(iptables + " -S INPUT", &out);
  std::istringstream rules{out};
  while (std::getline(rules, line)) {
    auto at = line.find("--comment fsnet-");
    if (at == std::string::npos || line.rfind("-A ", 0) != 0) continue;
    long pid = std::atol(line.c_str() + at + 16);
    if (pid <= 0 || alive(pid)) continue;
    test::run_command(iptables + " -D" + line.substr(2));
  }
}

} // namespace

network_namespace::network_namespace() {
  ip_ = tool("ip");
  iptables_ = tool("iptables");
  const auto& ip = ip_;
  sweep_leftovers(ip_, iptables_);
  const long pid = ::getpid();
  name_ = "fsnet-" + std::to_string(pid);
  host_veth_ = "fsn" + std::to_string(pid) + "h";
  ns_veth_ = "fsn" + std::to_string(pid) + "n";
  // 10.200.0.0/13 holds 2048 /24s: start at the pid's, move on while one is in use here.
  std::string used = must(ip + " -4 -o addr show") + must(ip + " -4 route show table all");
  for (long i = 0; i < 2048; ++i) {
    long n = (pid + i) % 2048;
    auto prefix = "10." + std::to_string(200 + n / 256) + "." + std::to_string(n % 256) + ".";
    if (used.find(" " + prefix) != std::string::npos ||
        used.find("\n" + prefix) != std::string::npos || used.rfind(prefix, 0) == 0)
      continue;
    host_address_ = prefix + "1";
    ns_address_ = prefix + "2";
    break;
  }
  if (host_address_.empty()) FAIL("no free /24 under 10.200.0.0/13");
  try {
    must(ip + " netns add " + name_);
    must(ip + " link add " + host_veth_ + " type veth peer name " + ns_veth_);
    must(ip + " link set " + ns_veth_ + " netns " + name_);
    must(ip + " addr add " + host_address_ + "/24 dev " + host_veth_);
    must(ip + " link set " + host_veth_ + " up");
    const auto in_ns = ip + " netns exec " + name_ + " " + ip;
    must(in_ns + " addr add " + ns_address_ + "/24 dev " + ns_veth_);
    must(in_ns + " link set " + ns_veth_ + " up");
    must(in_ns + " link set lo up");
  } catch (...) {
    remove(); // what was made must not outlive the test
    throw;
  }
}

network_namespace::~network_namespace() { remove(); }

void network_namespace::remove() noexcept {
  for (int port : dropped_)
    test::run_command(rule("-D", port));
  dropped_.clear();
  test::run_command(ip_ + " link del " + host_veth_ + " 2>/dev/null"); // deletes both ends
  test::run_command(ip_ + " netns del " + name_ + " 2>/dev/null");
}

std::pair<std::string, std::vector<std::string>>
network_namespace::exec(const std::string& program, std::vector<std::string> args) const {
  std::vector<std::string> all{"netns", "exec", name_, program};
  all.insert(all.end(), args.begin(), args.end());
  return {ip_, all};
}

std::string network_namespace::rule(const char* op, int port) const {
  return iptables_ + " " + op + " INPUT -s " + ns_address_ + " -p tcp --dport " +
         std::to_string(port) + " -m comment --comment " + name_ + " -j DROP";
}

void network_namespace::drop(int port) {
  must(rule("-I", port));
  dropped_.insert(port);
}

void network_namespace::restore(int port) {
  must(rule("-D", port));
  dropped_.erase(port);
}

} // namespace finstream::e2e
