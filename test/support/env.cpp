// Test environment lookups (see env.hpp).
#include "support/env.hpp"

#include <atomic>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <unistd.h>

namespace finstream::test {

namespace {

std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    FAIL(std::string{name} + " is not set: run integration tests through scripts/test.sh, "
                             "which starts the real services");
  return v;
}

} // namespace

std::string source_dir() {
  return FINSTREAM_SOURCE_DIR;
}

std::string binary() {
  return FINSTREAM_BINARY;
}

std::string pg_dsn() {
  return required_env("FINSTREAM_TEST_PG");
}

std::string kafka_bootstrap() {
  return required_env("FINSTREAM_TEST_KAFKA");
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

} // namespace finstream::test
