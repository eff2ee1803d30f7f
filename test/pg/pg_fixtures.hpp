// Fixtures for the PostgreSQL integration tests: a fresh database per test, a private server that
// a test may restart (test/support), and deterministic indicator rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/indicator_row.hpp"
#include "pg/connection.hpp"
#include "support/private_postgres.hpp"

namespace finstream::test {

/// A new, empty database on the test server (FINSTREAM_TEST_PG), dropped (WITH FORCE) when the
/// object goes away. Tests that each use their own can run in parallel.
class scratch_db {
public:
  explicit scratch_db(const std::string& prefix = "fs_pg");
  ~scratch_db();
  scratch_db(const scratch_db&) = delete;
  scratch_db& operator=(const scratch_db&) = delete;

  const std::string& dsn() const noexcept { return dsn_; }
  const std::string& name() const noexcept { return name_; }

private:
  std::string admin_dsn_;
  std::string name_;
  std::string dsn_;
};

/// A PostgreSQL server of the test's own, for tests that restart it (see private_postgres.hpp).
using private_server = private_postgres;

/// A row with values derived from (symbol, date, salt): different salts give different values.
indicator_row make_row(const std::string& symbol, day_t date, double salt = 0);

/// The single value of a one-row, one-column query (as text; "" for NULL).
std::string scalar(pg::connection& c, const std::string& sql);
std::int64_t count(pg::connection& c, const std::string& sql);


} // namespace finstream::test
