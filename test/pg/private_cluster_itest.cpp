// Integration tests of local mode's private PostgreSQL: initdb from a clean directory, real libpq
// connections over the private socket, data kept across stop/start, reuse of a server left running,
// recovery from a killed server and from a stale postmaster.pid, clear errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <libpq-fe.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg/private_cluster.hpp"
#include "support/processes.hpp"

using namespace finstream;
namespace fs = std::filesystem;

extern char** environ;

namespace {

// A fresh directory under /tmp, removed at the end (after the cluster in it is stopped).
struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/finstream-pc-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;

conn_ptr connect(const std::string& dsn) {
  conn_ptr c{PQconnectdb(dsn.c_str())};
  INFO(PQerrorMessage(c.get()));
  REQUIRE(PQstatus(c.get()) == CONNECTION_OK);
  return c;
}

// Runs `sql` and returns the first field of the first row ("" when there is no row).
std::string query(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  INFO(sql << ": " << PQerrorMessage(c));
  auto st = PQresultStatus(r);
  std::string out;
  bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  PQclear(r);
  REQUIRE(ok);
  return out;
}

pid_t postmaster_pid(const std::string& pgdata) {
  std::ifstream in(pgdata + "/postmaster.pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

void wait_gone(pid_t pid) {
  for (int i = 0; i < 200 && kill(pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// Waits (10 s at most) until no process runs in `dir`: a postmaster and its backends have PGDATA
// as working directory. True when none is left.
bool wait_no_process_in(const std::string& dir) {
  for (int i = 0; i < 200 && !test::processes_in(dir).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return test::processes_in(dir).empty();
}

pg::private_cluster_options in(const fs::path& dir) {
  pg::private_cluster_options o;
  o.data_dir = (dir / "data").string();
  return o;
}

} // namespace

TEST_CASE("from a clean directory: initdb, start, query, stop, start again with data kept") {
  temp_dir tmp;
  std::string dsn;
  {
    pg::private_cluster pc{in(tmp.path)};
    CHECK(pc.created());
    CHECK_FALSE(pc.reused_running_server());
    dsn = pc.dsn();
    CHECK(dsn.find("host=" + (tmp.path / "data" / "run").string()) == 0);
    CHECK(dsn.find("dbname=finstream") != std::string::npos);
    CHECK(fs::exists(tmp.path / "data" / "pg" / "PG_VERSION"));
    CHECK(pc.psql_command() == "psql \"" + dsn + "\"");

    auto c = connect(dsn);
    CHECK(query(c.get(), "SELECT current_database()") == "finstream");
    CHECK(query(c.get(), "SHOW listen_addresses").empty()); // no TCP at all
    CHECK(query(c.get(), "SHOW unix_socket_permissions") == "0700");
    query(c.get(), "CREATE TABLE kept (v int)");
    query(c.get(), "INSERT INTO kept SELECT generate_series(1, 42)");
    CHECK(query(c.get(), "SELECT sum(v) FROM kept") == "903");
  }
  // Stopped: nothing answers on the socket any more.
  CHECK(PQping(dsn.c_str()) == PQPING_NO_RESPONSE);
  CHECK_FALSE(fs::exists(tmp.path / "data" / "pg" / "postmaster.pid"));

  pg::private_cluster again{in(tmp.path)};
  CHECK_FALSE(again.created());
  CHECK_FALSE(again.reused_running_server());
  CHECK(again.dsn() == dsn);
  auto c = connect(again.dsn());
  CHECK(query(c.get(), "SELECT count(*) FROM kept") == "42");
}

TEST_CASE("a server left running (keep_running, or a crashed run) is reused, then stopped") {
  temp_dir tmp;
  auto o = in(tmp.path);
  o.keep_running = true;
  pid_t first_pid = 0;
  {
    pg::private_cluster pc{o};
    first_pid = postmaster_pid(pc.pgdata());
    auto c = connect(pc.dsn());
    query(c.get(), "CREATE TABLE t AS SELECT 7 AS v");
  }
  REQUIRE(first_pid > 0);
  CHECK(kill(first_pid, 0) == 0); // still running

  std::string dsn;
  {
    pg::private_cluster pc{in(tmp.path)};
    CHECK(pc.reused_running_server());
    CHECK(postmaster_pid(pc.pgdata()) == first_pid);
    dsn = pc.dsn();
    auto c = connect(dsn);
    CHECK(query(c.get(), "SELECT v FROM t") == "7");
  }
  wait_gone(first_pid);
  CHECK(kill(first_pid, 0) != 0);
  CHECK(PQping(dsn.c_str()) == PQPING_NO_RESPONSE);
}

TEST_CASE("after the server was SIGKILLed, the next start recovers with committed data") {
  temp_dir tmp;
  auto o = in(tmp.path);
  o.keep_running = true;
  std::string pgdata;
  {
    pg::private_cluster pc{o};
    pgdata = pc.pgdata();
    auto c = connect(pc.dsn());
    query(c.get(), "CREATE TABLE t AS SELECT 11 AS v");
  }
  pid_t pid = postmaster_pid(pgdata);
  REQUIRE(pid > 0);
  REQUIRE(kill(pid, SIGKILL) == 0);
  wait_gone(pid);
  REQUIRE(fs::exists(pgdata + "/postmaster.pid")); // left behind by the killed server
  // Backends notice their postmaster's death and exit; shared memory goes with the last one.
  REQUIRE(wait_no_process_in(pgdata));

  pg::private_cluster pc{in(tmp.path)};
  CHECK_FALSE(pc.reused_running_server());
  CHECK(postmaster_pid(pgdata) != pid);
  auto c = connect(pc.dsn());
  CHECK(query(c.get(), "SELECT v FROM t") == "11");
}

TEST_CASE("a stale postmaster.pid naming a live unrelated process is recovered") {
  temp_dir tmp;
  std::string pgdata;
  {
    pg::private_cluster pc{in(tmp.path)};
    pgdata = pc.pgdata();
  }
  // A live process (not a postmaster) holds the PID recorded in the lock file, as after a reboot
  // that recycled PIDs. PostgreSQL alone would refuse to start ("is another postmaster running?").
  pid_t sleeper = 0;
  const char* argv[] = {"/bin/sleep", "60", nullptr};
  REQUIRE(posix_spawn(&sleeper, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  {
    std::ofstream pidfile(pgdata + "/postmaster.pid");
    pidfile << sleeper << "\n" << pgdata << "\n1700000000\n5432\n\n\n  5432001 0\nready\n";
  }
  {
    pg::private_cluster pc{in(tmp.path)};
    CHECK_FALSE(pc.reused_running_server());
    CHECK(postmaster_pid(pgdata) != sleeper);
    auto c = connect(pc.dsn());
    CHECK(query(c.get(), "SELECT 1") == "1");
  }
  kill(sleeper, SIGKILL);
  waitpid(sleeper, nullptr, 0);
}

TEST_CASE("one process at a time per data directory") {
  temp_dir tmp;
  pg::private_cluster first{in(tmp.path)};
  try {
    pg::private_cluster second{in(tmp.path)};
    FAIL("a second owner must be refused");
  } catch (const std::runtime_error& e) {
    CHECK(std::string{e.what()}.find("in use by another finstream process") != std::string::npos);
  }
  // The refused attempt did not disturb the running server.
  auto c = connect(first.dsn());
  CHECK(query(c.get(), "SELECT 1") == "1");
}

TEST_CASE("missing binaries give a clear error naming the package") {
  temp_dir tmp;
  try {
    pg::find_postgres_bin_dir(tmp.path.string());
    FAIL("no binaries: must throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string{e.what()}.find("install postgresql") != std::string::npos);
  }
  auto o = in(tmp.path);
  o.bin_dir = tmp.path.string();
  try {
    pg::private_cluster pc{o};
    FAIL("no binaries: must throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string{e.what()}.find("install postgresql") != std::string::npos);
  }
  // The installed ones are found, newest first.
  auto bin = pg::find_postgres_bin_dir();
  CHECK(fs::exists(fs::path(bin) / "initdb"));
}
