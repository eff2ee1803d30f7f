// End-to-end test harness: finstream processes started for real (fork/exec of the built binary),
// a fresh database per test on the test PostgreSQL, unique Kafka topics and groups per test.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "core/bar.hpp"
#include "pg/connection.hpp"
#include "support/private_postgres.hpp"

namespace finstream::e2e {

/// A child process running the finstream binary (or another program), stdout+stderr to a log file.
/// The destructor SIGKILLs it if it still runs.
class process {
public:
  process(std::vector<std::string> args, std::string log_path,
          std::vector<std::pair<std::string, std::string>> env = {}, std::string program = {});
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Waits for exit; the exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void signal(int sig);
  std::string log() const;
  const std::string& log_path() const { return log_path_; }
  /// Peak resident set size (VmHWM) in KiB while the process runs; 0 when unknown.
  long peak_rss_kib() const;
  /// The port of the metrics endpoint, read from the "event=started ... metrics_port=N" log line.
  std::optional<int> metrics_port(std::chrono::milliseconds timeout = std::chrono::seconds{30});

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

/// Polls `cond` every 100 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

/// A database created and migrated for one test (dropped at the end) on the server of
/// FINSTREAM_TEST_PG.
class test_database {
public:
  explicit test_database(const std::string& prefix);
  /// The same on the server of `admin_dsn` (e.g. a private_postgres).
  test_database(const std::string& prefix, const std::string& admin_dsn);
  ~test_database();
  const std::string& dsn() const { return dsn_; }
  pg::connection connect() const { return pg::connection{dsn_}; }
  /// A single number from a query ("SELECT count(*) ...").
  long long scalar(const std::string& sql) const;

private:
  std::string name_;
  std::string admin_dsn_;
  std::string dsn_;
};

/// A private PostgreSQL server (test/support/private_postgres.hpp) for tests that pause it.
using test::private_postgres;


/// Unique topic and group names for one test, as `finstream run` flags.
struct kafka_names {
  explicit kafka_names(const std::string& prefix);
  std::string task_topic, data_topic, agent_group, processor_group;
  std::vector<std::string> flags(int partitions = 6) const;
};

/// A scratch directory for one test (logs, fetched CSVs, data dirs). Removed at the end of the
/// test unless the test is unwinding from a failed REQUIRE (then kept for inspection; the path
/// is in the failure's messages).
class scratch_area {
public:
  explicit scratch_area(const std::string& prefix);
  ~scratch_area();
  scratch_area(const scratch_area&) = delete;
  scratch_area& operator=(const scratch_area&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// One stored row as numbers: open..volume then the 19 indicator columns (NaN for NULL).
using stored_row = std::vector<double>;

/// technical_indicators of the database at `dsn`: (symbol, date) → row (open..volume, then the
/// indicator columns of `spec`'s set as indicators::table_columns names them; empty spec: the
/// default set).
std::map<std::pair<std::string, std::string>, stored_row> read_table(const std::string& dsn,
                                                                     const std::string& spec = {});

/// What `finstream indicators` computes for the bars of `csv_path` (a fetch or plain CSV), keyed
/// by date, in the table's column order (open..volume, then the outputs of `spec`, empty: the
/// default set).
std::map<std::string, stored_row> expected_rows(const std::string& csv_path,
                                                const std::string& workdir,
                                                const std::string& spec = {});

/// Runs `finstream fetch SYMBOLS --from --to --source S --output FILE` (one CSV per symbol into
/// `dir`); returns the file of each symbol. `extra` adds flags (e.g. --yahoo-url).
std::map<std::string, std::string> fetch_csvs(const std::vector<std::string>& symbols,
                                              const std::string& from, const std::string& to,
                                              const std::string& source, const std::string& dir,
                                              const std::vector<std::string>& extra = {});

/// Checks that the table holds exactly the rows `finstream indicators` computes from the fetched
/// bars of every symbol: same keys, every value bit-identical, adj_close equal to the fetched one
/// (unless `adj_close` is false: rows adopted from a table that never had one). Reports the first
/// difference. `spec`: the indicator set compared (empty: the default set).
void require_table_equals_indicators(const std::string& dsn,
                                     const std::map<std::string, std::string>& csv_by_symbol,
                                     const std::string& workdir, const std::string& spec = {},
                                     bool adj_close = true);

inline void require_table_equals_indicators(const test_database& db,
                                            const std::map<std::string, std::string>& csv_by_symbol,
                                            const std::string& workdir,
                                            const std::string& spec = {}) {
  require_table_equals_indicators(db.dsn(), csv_by_symbol, workdir, spec);
}

/// A cell of finstream's CSV output as a double: NaN for an empty cell; fails the test on text
/// that is not a whole number.
double to_double(const std::string& s);
/// One line of finstream's CSV output split at commas (its cells are never quoted).
std::vector<std::string> split_csv(const std::string& line);
/// Bit-identical doubles, or both NaN.
bool same(double a, double b);

/// Bars in a CSV written by `finstream fetch` (data lines).
std::size_t csv_rows(const std::string& path);

/// Runs a process to completion (e.g. the binary with some verb); its exit code and output.
std::pair<int, std::string> run_to_end(std::vector<std::string> args, const std::string& log_path,
                                       std::chrono::milliseconds timeout = std::chrono::seconds{
                                           120});

/// Members of consumer group `group` on the test broker now (0 for an empty or unknown group);
/// -1 when the broker did not answer.
int group_members(const std::string& group);

/// GET http://127.0.0.1:port/path → (status, body); status 0 when the connection failed.
std::pair<int, std::string> http_get(int port, const std::string& path);

} // namespace finstream::e2e
