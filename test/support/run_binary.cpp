// Runs the finstream binary for command-line tests (see run_binary.hpp).
#include "support/run_binary.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "support/env.hpp"

namespace finstream::test {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

run_result run_binary(const std::string& verb, const std::vector<std::string>& args) {
  const std::string err_path = "/tmp/" + unique_name("finstream_" + verb + "_err");
  std::string cmd = shell_quote(binary()) + " " + shell_quote(verb);
  for (const auto& a : args)
    cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err_path);
  run_result r;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err_path);
  std::remove(err_path.c_str());
  return r;
}

} // namespace finstream::test
