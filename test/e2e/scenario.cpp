// Helpers shared by the end-to-end scenarios (see scenario.hpp).
#include "scenario.hpp"

#include <cstdio>
#include <regex>

namespace finstream::e2e {

std::vector<std::string> synthetic_symbols(int n, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%03d", prefix.c_str(), i);
    out.emplace_back(buf);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> run_args(const std::string& roles, const test_database& db,
                                  const kafka_names& k, const std::vector<std::string>& symbols,
                                  const std::string& from, const std::string& to,
                                  std::vector<std::string> extra) {
  std::vector<std::string> args{"run",       "--roles",        roles,    "--pg", db.dsn(),
                                "--symbols", join(symbols),    "--from", from,   "--to",
                                to,          "--metrics-port", "0"};
  auto kf = k.flags();
  args.insert(args.end(), kf.begin(), kf.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

long long done_symbols(const test_database& db) {
  return db.scalar("SELECT count(*) FROM symbol_state WHERE status = 'done'");
}

long long metric(int port, const std::string& series) {
  auto [status, body] = http_get(port, "/metrics");
  if (status != 200) return -1;
  std::regex re{"(^|\n)" + series + " ([0-9.e+]+)"};
  std::smatch m;
  if (!std::regex_search(body, m, re)) return -1;
  return static_cast<long long>(std::stod(m[2]));
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

} // namespace finstream::e2e
