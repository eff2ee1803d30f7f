// A private PostgreSQL server for `finstream local` without --pg: Debian's initdb/pg_ctl, data
// under <data-dir>/pg, reachable only through a unix socket in <data-dir>/run.
//
// Layout of <data-dir> (created when missing):
//   pg/            the cluster (initdb'd on first use; contains server.log)
//   run/           the unix socket (mode 0700: only its owner can connect; no TCP at all)
//   pg.lock        flock held by the process that owns the cluster (one finstream at a time)
//   initdb.log     output of the last initdb
//
// Running as root: initdb and the server refuse root, so when euid == 0 every PostgreSQL command
// runs as the Debian `postgres` user (runuser -u postgres), pg/ and run/ are chowned to it, and
// search permission (o+x, not read) is granted on <data-dir> and on any ancestor the postgres user
// could not traverse (logged). The database role is always `finstream` (superuser, trust auth on
// the private socket), whatever the OS user.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace finstream::pg {

struct private_cluster_options {
  /// The --data-dir (relative paths are made absolute).
  std::string data_dir = ".finstream";
  /// Directory holding initdb/pg_ctl/postgres; empty = find_postgres_bin_dir() (or, for an
  /// existing cluster, the binaries of its PG_VERSION).
  std::string bin_dir;
  /// Database created on first use (and whenever missing).
  std::string database = "finstream";
  /// Leave the server running when this object goes away (a later run reuses it).
  bool keep_running = false;
  /// Longest wait for the server to start or stop.
  std::chrono::seconds timeout{120};
};

/// The highest /usr/lib/postgresql/<version>/bin that has initdb, pg_ctl and postgres (`root`
/// replaces /usr/lib/postgresql, for tests). Throws std::runtime_error saying to install
/// postgresql when there is none.
std::string find_postgres_bin_dir(const std::string& root = "/usr/lib/postgresql");

/// Owns a running private server from construction to destruction (or stop()).
///
/// Construction: takes <data-dir>/pg.lock (throws if another process holds it), runs initdb when
/// the cluster does not exist yet (into a temporary directory renamed into place when complete,
/// so an interrupted initdb is redone, never half-used), then:
///  - server already running for this data directory (a previous run crashed, or kept it
///    running): reused as is;
///  - postmaster.pid left by a dead server, or naming a live process that is not this cluster's
///    postmaster (PID reuse after a reboot): the stale file is removed, then started;
///  - stopped: pg_ctl start -w.
/// Finally it waits until the server accepts connections and creates the database if missing.
/// Errors: std::runtime_error with what failed and the tail of the tool's output (no secrets:
/// there are none, the socket is trust-only).
///
/// Threads: not thread-safe; meant to be owned by the `local` command's main thread. dsn() may be
/// read from any thread once constructed.
class private_cluster {
public:
  explicit private_cluster(private_cluster_options options);
  /// stop() unless keep_running. Never throws (a failure is logged).
  ~private_cluster();
  private_cluster(const private_cluster&) = delete;
  private_cluster& operator=(const private_cluster&) = delete;

  /// libpq DSN: `host=<abs run dir> port=5432 dbname=<database> user=finstream`.
  const std::string& dsn() const noexcept { return dsn_; }
  /// Absolute paths of the socket directory and of the cluster (PGDATA).
  const std::string& socket_dir() const noexcept { return run_dir_; }
  const std::string& pgdata() const noexcept { return pgdata_; }
  /// The PostgreSQL binaries in use.
  const std::string& bin_dir() const noexcept { return bin_dir_; }
  /// True when this object ran initdb; false when it found an existing cluster.
  bool created() const noexcept { return created_; }
  /// True when the server was already running (reused) rather than started by this object.
  bool reused_running_server() const noexcept { return reused_; }
  /// `psql "<dsn>"` — how a user connects (printed by `finstream local` at the end).
  std::string psql_command() const;

  /// pg_ctl stop -m fast (falls back to -m immediate), then releases the lock. Idempotent.
  /// Throws std::runtime_error when the server cannot be stopped.
  void stop();

private:
  /// `argv` prefixed with `runuser -u <owner> --` when the server must run as another user.
  std::vector<std::string> as_owner(std::vector<std::string> argv) const;

  private_cluster_options options_;
  std::string data_dir_;
  std::string pgdata_;
  std::string run_dir_;
  std::string bin_dir_;
  std::string dsn_;
  int lock_fd_ = -1;
  std::string owner_user_; // the OS user running the server when we are root; "" = ourselves
  bool created_ = false;
  bool reused_ = false;
  bool running_ = false;
};

} // namespace finstream::pg
