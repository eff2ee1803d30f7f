// Access to the services and paths the test harness (scripts/test.sh) hands to the tests.
#pragma once

#include <string>

namespace finstream::test {

/// The repository root (for test data under test/data).
std::string source_dir();

/// Path of the built `finstream` binary.
std::string binary();

/// DSN of the test PostgreSQL (FINSTREAM_TEST_PG). Fails the current test when unset: an
/// integration test must never pass without its service.
std::string pg_dsn();

/// Bootstrap servers of the test Kafka broker (FINSTREAM_TEST_KAFKA); fails the test when unset.
std::string kafka_bootstrap();

/// A name unique to this process and call (for databases, topics, groups): prefix_<pid>_<n>.
std::string unique_name(const std::string& prefix);

} // namespace finstream::test
