// Test helper: private PostgreSQL and broker of one test (see private_services.hpp).
#include "private_services.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "support/env.hpp"
#include "support/run_binary.hpp"

namespace finstream::e2e {

namespace {

std::string value_of(const std::string& env_file, const std::string& name) {
  std::ifstream in{env_file};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  FAIL("no " << name << " in " << env_file);
  return {};
}

void set(const char* name, const std::string& value, std::optional<std::string>& saved) {
  if (const char* v = std::getenv(name)) saved = v;
  ::setenv(name, value.c_str(), 1);
}

void restore(const char* name, const std::optional<std::string>& saved) {
  if (saved)
    ::setenv(name, saved->c_str(), 1);
  else
    ::unsetenv(name);
}

} // namespace

private_services::private_services(std::string dir, std::string address)
    : dir_(std::move(dir)), address_(std::move(address)) {
  try {
    script("pg.sh start");
    script("kafka.sh start");
  } catch (...) {
    stop(); // what did start must not outlive the test
    throw;
  }
  pg_ = value_of(dir_ + "/pg.env", "FINSTREAM_TEST_PG");
  kafka_ = value_of(dir_ + "/kafka.env", "FINSTREAM_TEST_KAFKA");
  set("FINSTREAM_TEST_PG", pg_, saved_pg_);
  set("FINSTREAM_TEST_KAFKA", kafka_, saved_kafka_);
}

private_services::~private_services() {
  restore("FINSTREAM_TEST_PG", saved_pg_);
  restore("FINSTREAM_TEST_KAFKA", saved_kafka_);
  stop();
}

void private_services::pg_crash_restart(int down_s) { script("pg.sh crash-restart", true, down_s); }

void private_services::kafka_bounce(int down_s) { script("kafka.sh bounce", true, down_s); }

void private_services::pg_stall(int seconds) {
  stall("P=$(head -n 1 \"$(cat " + dir_ +
            "/pg/tmpdir)/data/postmaster.pid\"); P=\"$P $(pgrep -P $P)\"",
        seconds);
}

void private_services::kafka_stall(int seconds) {
  stall("P=$(cat " + dir_ + "/kafka/pid)", seconds);
}

void private_services::stall(const std::string& pids, int seconds) {
  auto cmd = pids + "; kill -STOP $P && sleep " + std::to_string(seconds) + "; kill -CONT $P";
  int rc = std::system(("bash -c '" + cmd + "' >> " + dir_ + "/services.log 2>&1").c_str());
  if (rc != 0) FAIL("stall failed (" << rc << "): " << cmd);
}

void private_services::stop() {
  script("kafka.sh stop", false);
  script("pg.sh stop", false);
}

void private_services::script(const std::string& verb, bool must, int arg) {
  auto cmd = (address_.empty() ? std::string{} : "FINSTREAM_SERVICE_ADDRESS=" + address_ + " ") +
             "bash " + test::source_dir() + "/test/services/" + verb + " " + dir_ +
             (arg >= 0 ? " " + std::to_string(arg) : "") + " >> " + dir_ + "/services.log 2>&1";
  int rc = std::system(cmd.c_str());
  if (must && rc != 0) FAIL(cmd << " failed (" << rc << "), see " << dir_ << "/services.log");
}

} // namespace finstream::e2e
