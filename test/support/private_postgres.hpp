// Test helper: a PostgreSQL server of a test's own (test/services/pg.sh in a state directory of
// its own), for tests that restart, stop or pause the server: doing that to the shared test
// server would disturb the tests running beside them.
#pragma once

#include <string>

namespace finstream::test {

/// Started on construction (fails the test when it cannot be), stopped and removed on
/// destruction; a paused server is resumed first. Requires the harness' services like any
/// integration test (fails when FINSTREAM_TEST_PG is unset).
class private_postgres {
public:
  /// `state_dir` holds pg.sh's state and logs; empty: a temporary directory, removed at the end.
  explicit private_postgres(std::string state_dir = {});
  ~private_postgres();
  private_postgres(const private_postgres&) = delete;
  private_postgres& operator=(const private_postgres&) = delete;

  /// DSN (TCP on 127.0.0.1) of the server's finstream_test database, as an admin.
  const std::string& dsn() const noexcept { return dsn_; }
  /// The data directory (postgresql.conf), owned by the server's user.
  const std::string& data_dir() const noexcept { return data_dir_; }
  /// `pg.sh restart`: pg_ctl restart -m fast, same port and data; every connection is cut.
  void restart();
  /// SIGSTOPs every process of the server (postmaster, backends, workers): connections hang
  /// while the kernel still acknowledges TCP. Returns how many processes it stopped.
  int pause();
  /// SIGCONTs them.
  void resume();

private:
  std::string state_dir_;
  bool own_state_dir_ = false;
  std::string dsn_;
  std::string data_dir_;
  bool paused_ = false;
};

/// Runs a shell command, returns its exit status (and stdout+stderr in `output` when given).
int run_command(const std::string& command, std::string* output = nullptr);

} // namespace finstream::test
