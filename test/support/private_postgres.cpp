// Test helper: a private PostgreSQL server (see private_postgres.hpp).
#include "support/private_postgres.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include "support/env.hpp"
#include "support/processes.hpp"
#include "support/run_binary.hpp"

namespace finstream::test {

namespace {

std::string pg_sh() {
  return shell_quote(source_dir() + "/test/services/pg.sh");
}

/// The process state letter of /proc/PID/stat ('T' when stopped), '?' when unknown.
char process_state(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  std::getline(in, text);
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

} // namespace

int run_command(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

private_postgres::private_postgres(std::string state_dir)
    : state_dir_(std::move(state_dir)) {
  (void)pg_dsn(); // integration tests run only with the harness' services
  if (state_dir_.empty()) {
    char tmpl[] = "/tmp/finstream-pgtest-XXXXXX";
    if (!::mkdtemp(tmpl)) FAIL("mkdtemp failed");
    state_dir_ = tmpl;
    own_state_dir_ = true;
  }
  std::filesystem::create_directories(state_dir_);
  std::string out;
  int rc = run_command(pg_sh() + " start " + shell_quote(state_dir_), &out);
  if (rc != 0) FAIL("pg.sh start failed: " << out);
  std::ifstream env(state_dir_ + "/pg.env");
  std::string line;
  const std::string dsn_key = "FINSTREAM_TEST_PG=", data_key = "FINSTREAM_TEST_PG_DATA=";
  while (std::getline(env, line)) {
    if (line.rfind(dsn_key, 0) == 0) dsn_ = line.substr(dsn_key.size());
    if (line.rfind(data_key, 0) == 0) data_dir_ = line.substr(data_key.size());
  }
  if (dsn_.empty() || data_dir_.empty()) FAIL("pg.sh start wrote no DSN or data dir: " << out);
}

private_postgres::~private_postgres() {
  if (paused_) resume();
  run_command(pg_sh() + " stop " + shell_quote(state_dir_));
  if (own_state_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
}

void private_postgres::restart() {
  std::string out;
  int rc = run_command(pg_sh() + " restart " + shell_quote(state_dir_), &out);
  if (rc != 0) FAIL("pg.sh restart failed: " << out);
}

int private_postgres::pause() {
  paused_ = true;
  // The postmaster may fork while we go: repeat until every process found is stopped.
  int stopped = 0;
  for (int round = 0; round < 50; ++round) {
    bool all = true;
    for (pid_t pid : processes_in(data_dir_)) {
      if (process_state(pid) == 'T') continue;
      all = false;
      if (::kill(pid, SIGSTOP) == 0) ++stopped;
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return stopped;
}

void private_postgres::resume() {
  for (pid_t pid : processes_in(data_dir_))
    ::kill(pid, SIGCONT);
  paused_ = false;
}

} // namespace finstream::test
