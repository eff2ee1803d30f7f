// Test helper: processes by working directory (see processes.hpp).
#include "support/processes.hpp"

#include <filesystem>

namespace finstream::test {

std::vector<pid_t> processes_in(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<pid_t> out;
  std::error_code ec;
  const auto want = fs::canonical(dir, ec);
  if (ec) return out;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    const auto cwd = fs::read_symlink(e.path() / "cwd", link_ec);
    if (!link_ec && cwd == want) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

} // namespace finstream::test
