// Running the built finstream binary from a test: one verb, its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace finstream::test {

struct run_result {
  int code = -1; // exit status; -1 when killed by a signal
  std::string out;
  std::string err;
};

/// Runs `finstream <verb> <args...>` to completion (arguments passed verbatim, no shell
/// interpretation), capturing stdout and stderr separately.
run_result run_binary(const std::string& verb, const std::vector<std::string>& args);

/// `s` quoted for /bin/sh (single quotes).
std::string shell_quote(const std::string& s);

/// The whole content of a file ("" when it cannot be read).
std::string slurp(const std::string& path);

} // namespace finstream::test
