// Private PostgreSQL cluster for local mode (contract and layout in private_cluster.hpp).
#include "pg/private_cluster.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/log.hpp"

extern char** environ;

namespace finstream::pg {

namespace fs = std::filesystem;

namespace {

constexpr const char* db_user = "finstream";
constexpr int port = 5432; // only names the socket file (.s.PGSQL.5432); there is no TCP
constexpr std::size_t output_tail = 4000;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("private PostgreSQL: " + what);
}

std::string tail(const std::string& s, std::size_t n = output_tail) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) fail("cannot write " + path);
}

struct command_result {
  int exit_code = -1; // -1: killed by a signal
  std::string output; // stdout and stderr, interleaved
};

// Runs argv[0] (an absolute path) with stdin from /dev/null, stdout+stderr captured, cwd "/", and
// no inherited descriptor beyond 0-2: the postmaster that pg_ctl daemonizes must not keep this
// process's sockets or its pg.lock open.
command_result run_command(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail(std::string{"pipe: "} + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawn_file_actions_addchdir_np(&fa, "/");
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    fail("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  command_result res;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      res.output.append(buf, static_cast<std::size_t>(n));
      if (res.output.size() > 64 * 1024) res.output.erase(0, res.output.size() - 32 * 1024);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return res;
}

std::string find_runuser() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"})
    if (access(p, X_OK) == 0) return p;
  fail("running as root needs runuser (package util-linux) to start PostgreSQL as 'postgres'");
}

// Numeric version of a /usr/lib/postgresql/<v> directory name ("15" → 15, "9.6" → 9.6), or -1.
double version_of(const std::string& name) {
  try {
    std::size_t used = 0;
    double v = std::stod(name, &used);
    return used == name.size() ? v : -1;
  } catch (...) {
    return -1;
  }
}

bool has_server_binaries(const fs::path& bin) {
  for (const char* tool : {"initdb", "pg_ctl", "postgres"})
    if (access((bin / tool).c_str(), X_OK) != 0) return false;
  return true;
}

// Value quoted for postgresql.conf: '...' with ' doubled and \ escaped.
std::string conf_quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'')
      out += "''";
    else if (c == '\\')
      out += "\\\\";
    else
      out += c;
  }
  return out + "'";
}

// Value quoted for a libpq key=value DSN when needed.
std::string dsn_quote(const std::string& v) {
  bool plain = !v.empty() && std::none_of(v.begin(), v.end(), [](char c) {
    return c == ' ' || c == '\'' || c == '\\' || c == '\t' || c == '\n';
  });
  if (plain) return v;
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

bool valid_database_name(const std::string& n) {
  if (n.empty() || n.size() > 63 || !((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The PID recorded in <pgdata>/postmaster.pid, or 0 when there is none (or it is unreadable).
pid_t recorded_pid(const std::string& pgdata) {
  std::ifstream in(pgdata + "/postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

// Alive and not a zombie (a daemonized postmaster is reaped by whoever adopted it, maybe late).
bool alive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return !(paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

// True when `pid` is alive and is the postmaster of `pgdata`: a postmaster's working directory is
// its data directory, which tells it apart from an unrelated process that got the same PID.
bool is_our_postmaster(pid_t pid, const std::string& pgdata) {
  if (!alive(pid)) return false;
  std::error_code ec;
  fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return false;
  fs::path mine = fs::canonical(pgdata, ec);
  return !ec && cwd == mine;
}

void chown_to(const std::string& path, uid_t uid, gid_t gid, bool recursive) {
  if (::chown(path.c_str(), uid, gid) != 0)
    fail("cannot chown " + path + ": " + std::strerror(errno));
  if (!recursive) return;
  for (const auto& e : fs::recursive_directory_iterator(path))
    if (::lchown(e.path().c_str(), uid, gid) != 0)
      fail("cannot chown " + e.path().string() + ": " + std::strerror(errno));
}

// Grants search permission (o+x) on `dir` and its ancestors where `uid`/`gid` could not traverse.
void make_reachable(const fs::path& dir, uid_t uid, gid_t gid) {
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      fail("cannot stat " + p.string() + ": " + std::strerror(errno));
    bool can = (st.st_uid == uid && (st.st_mode & S_IXUSR)) ||
               (st.st_gid == gid && (st.st_mode & S_IXGRP)) || (st.st_mode & S_IXOTH);
    if (!can) {
      if (::chmod(p.c_str(), (st.st_mode & 07777) | S_IXOTH) != 0)
        fail("the postgres user cannot reach " + p.string() +
             " and chmod o+x failed: " + std::strerror(errno));
      log::warn("pg", "granted_search_permission",
                {{"path", p.string()}, {"reason", "the postgres user must reach the data dir"}});
    }
    if (p == p.root_path()) break;
  }
}

void wait_for_exit(pid_t pid, std::chrono::milliseconds max) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (alive(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

} // namespace

std::string find_postgres_bin_dir(const std::string& root) {
  std::string best;
  double best_version = -1;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    double v = version_of(it->path().filename().string());
    if (v > best_version && has_server_binaries(it->path() / "bin")) {
      best_version = v;
      best = (it->path() / "bin").string();
    }
  }
  if (best.empty())
    fail("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under " + root +
         ": install postgresql (apt-get install postgresql), or pass --pg DSN to use an "
         "existing server");
  return best;
}

private_cluster::private_cluster(private_cluster_options options)
    : options_(std::move(options)) {
  if (!valid_database_name(options_.database))
    fail("invalid database name '" + options_.database + "' (use [a-z_][a-z0-9_]*)");
  data_dir_ = fs::absolute(options_.data_dir).lexically_normal().string();
  while (data_dir_.size() > 1 && data_dir_.back() == '/')
    data_dir_.pop_back();
  if (data_dir_.find_first_of("\n\r") != std::string::npos)
    fail("the data directory path contains a line break");
  pgdata_ = data_dir_ + "/pg";
  run_dir_ = data_dir_ + "/run";
  const std::string socket_path = run_dir_ + "/.s.PGSQL." + std::to_string(port);
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path))
    fail("data directory path too long for a unix socket (" + socket_path +
         "): use a shorter --data-dir");

  std::error_code ec;
  fs::create_directories(data_dir_, ec);
  if (ec) fail("cannot create " + data_dir_ + ": " + ec.message());

  // One owner at a time: a second finstream on the same data dir would stop the server under the
  // first one's feet. O_CLOEXEC (and closefrom in run_command) keep the lock out of the postmaster.
  const std::string lock_path = data_dir_ + "/pg.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) fail("cannot open " + lock_path + ": " + std::strerror(errno));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string holder = read_file(lock_path);
    ::close(lock_fd_);
    lock_fd_ = -1;
    fail("data directory " + data_dir_ + " is in use by another finstream process" +
         (holder.empty() ? std::string{} : " (pid " + holder + ")"));
  }
  if (ftruncate(lock_fd_, 0) == 0) {
    std::string me = std::to_string(getpid());
    (void)!::write(lock_fd_, me.data(), me.size());
  }

  try {
    // Who runs the server: ourselves, or (as root) the owner of an existing cluster / `postgres`.
    const bool as_root = geteuid() == 0;
    uid_t owner_uid = geteuid();
    gid_t owner_gid = getegid();
    if (as_root) {
      struct stat st {};
      const passwd* pw = nullptr;
      if (::stat(pgdata_.c_str(), &st) == 0) {
        if (st.st_uid == 0)
          fail(
              pgdata_ +
              " is owned by root and PostgreSQL cannot run as root: chown -R postgres: " + pgdata_);
        pw = getpwuid(st.st_uid);
      } else {
        pw = getpwnam("postgres");
        if (!pw)
          fail("running as root needs the 'postgres' user to run the server (install postgresql, "
               "which creates it), or run finstream as an ordinary user");
      }
      if (!pw) fail("the owner of " + pgdata_ + " has no user name");
      owner_uid = pw->pw_uid;
      owner_gid = pw->pw_gid;
      owner_user_ = pw->pw_name;
      make_reachable(data_dir_, owner_uid, owner_gid);
    }
    // The binaries: those of the cluster's version when it exists, else the newest installed.
    std::string version = read_file(pgdata_ + "/PG_VERSION");
    version.erase(std::remove_if(version.begin(), version.end(), ::isspace), version.end());
    if (!options_.bin_dir.empty()) {
      if (!has_server_binaries(options_.bin_dir))
        fail("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in " +
             options_.bin_dir + ": install postgresql");
      bin_dir_ = options_.bin_dir;
    } else if (!version.empty() && has_server_binaries("/usr/lib/postgresql/" + version + "/bin")) {
      bin_dir_ = "/usr/lib/postgresql/" + version + "/bin";
    } else if (!version.empty()) {
      fail("the cluster in " + pgdata_ + " was created by PostgreSQL " + version +
           ", whose server binaries are not installed: install postgresql-" + version +
           " (or remove " + pgdata_ + " to start afresh)");
    } else {
      bin_dir_ = find_postgres_bin_dir();
    }

    // initdb into a scratch directory, moved into place only once complete.
    if (!fs::exists(pgdata_ + "/PG_VERSION")) {
      if (fs::exists(pgdata_) && !fs::is_empty(pgdata_))
        fail(pgdata_ + " exists but is not a PostgreSQL cluster: remove it or choose another "
                       "--data-dir");
      const std::string scratch = data_dir_ + "/pg.initdb-tmp";
      fs::remove_all(scratch);
      fs::remove(pgdata_, ec);
      fs::create_directories(scratch);
      fs::permissions(scratch, fs::perms::owner_all);
      if (as_root) chown_to(scratch, owner_uid, owner_gid, false);
      log::info("pg", "initdb", {{"pgdata", pgdata_}, {"bin_dir", bin_dir_}});
      auto res = run_command(
          as_owner({bin_dir_ + "/initdb", "-D", scratch, "-U", db_user, "--auth-local=trust",
                    "--auth-host=reject", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"}));
      write_file(data_dir_ + "/initdb.log", res.output);
      if (res.exit_code != 0)
        fail("initdb failed (exit " + std::to_string(res.exit_code) + "):\n" + tail(res.output));
      {
        std::ofstream conf(scratch + "/postgresql.conf", std::ios::app);
        conf << "\n# finstream local mode: settings that depend on the data dir's location\n"
                "include_if_exists = 'finstream.conf'\n";
        if (!conf) fail("cannot write " + scratch + "/postgresql.conf");
      }
      fs::rename(scratch, pgdata_);
      created_ = true;
    }

    // Settings rewritten at every start, so that a moved data dir still works.
    fs::create_directories(run_dir_);
    fs::permissions(run_dir_, fs::perms::owner_all);
    write_file(pgdata_ + "/finstream.conf", "# Written by finstream at each start; do not edit.\n"
                                            "listen_addresses = ''\n"
                                            "unix_socket_directories = " +
                                                conf_quote(run_dir_) +
                                                "\n"
                                                "unix_socket_permissions = 0700\n"
                                                "port = " +
                                                std::to_string(port) +
                                                "\nlogging_collector = off\n");
    if (as_root) {
      chown_to(run_dir_, owner_uid, owner_gid, false);
      chown_to(pgdata_ + "/finstream.conf", owner_uid, owner_gid, false);
    }

    dsn_ = "host=" + dsn_quote(run_dir_) + " port=" + std::to_string(port) +
           " dbname=" + options_.database + " user=" + db_user;
    const std::string admin_dsn = "host=" + dsn_quote(run_dir_) + " port=" + std::to_string(port) +
                                  " dbname=postgres user=" + db_user + " connect_timeout=5";

    pid_t pid = recorded_pid(pgdata_);
    if (pid && is_our_postmaster(pid, pgdata_)) {
      reused_ = true;
      log::info("pg", "server_already_running", {{"pgdata", pgdata_}, {"pid", pid}});
    } else {
      if (fs::exists(pgdata_ + "/postmaster.pid")) {
        // Left by a server that died (crash, SIGKILL, reboot), possibly naming a PID now used by an
        // unrelated process, which would make the postmaster refuse to start.
        log::warn("pg", "stale_pid_file_removed", {{"pgdata", pgdata_}, {"pid", pid}});
        fs::remove(pgdata_ + "/postmaster.pid");
        fs::remove(socket_path, ec);
        fs::remove(socket_path + ".lock", ec);
      }
      const std::string server_log = pgdata_ + "/server.log";
      log::info("pg", "server_starting", {{"pgdata", pgdata_}});
      auto res =
          run_command(as_owner({bin_dir_ + "/pg_ctl", "start", "-D", pgdata_, "-l", server_log,
                                "-w", "-t", std::to_string(options_.timeout.count()), "-s"}));
      if (res.exit_code != 0)
        fail("pg_ctl start failed (exit " + std::to_string(res.exit_code) + "):\n" +
             tail(res.output, 1000) + "\nserver log (" + server_log + "):\n" +
             tail(read_file(server_log), 3000));
    }
    running_ = true;

    // Wait until connections are accepted (a reused server may still be starting or recovering).
    auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    for (;;) {
      PGPing ping = PQping(admin_dsn.c_str());
      if (ping == PQPING_OK) break;
      if (ping == PQPING_NO_ATTEMPT) fail("libpq rejected the connection settings for " + run_dir_);
      if (std::chrono::steady_clock::now() > deadline)
        fail("the server in " + pgdata_ + " does not accept connections on " + run_dir_ + " (see " +
             pgdata_ + "/server.log)");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    // The database: created when missing (we hold the lock, so nobody races us).
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn{PQconnectdb(admin_dsn.c_str()), &PQfinish};
    if (PQstatus(conn.get()) != CONNECTION_OK)
      fail(std::string{"cannot connect: "} + PQerrorMessage(conn.get()));
    const char* params[] = {options_.database.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> found{
        PQexecParams(conn.get(), "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr, params,
                     nullptr, nullptr, 0),
        &PQclear};
    if (PQresultStatus(found.get()) != PGRES_TUPLES_OK)
      fail(std::string{"cannot list databases: "} + PQerrorMessage(conn.get()));
    if (PQntuples(found.get()) == 0) {
      // DDL takes no parameters; the name is validated above and quoted by libpq.
      std::unique_ptr<char, decltype(&PQfreemem)> ident{
          PQescapeIdentifier(conn.get(), options_.database.c_str(), options_.database.size()),
          &PQfreemem};
      if (!ident)
        fail(std::string{"cannot quote the database name: "} + PQerrorMessage(conn.get()));
      std::unique_ptr<PGresult, decltype(&PQclear)> made{
          PQexec(conn.get(), ("CREATE DATABASE " + std::string{ident.get()}).c_str()), &PQclear};
      if (PQresultStatus(made.get()) != PGRES_COMMAND_OK)
        fail("CREATE DATABASE " + options_.database + " failed: " + PQerrorMessage(conn.get()));
      log::info("pg", "database_created", {{"database", options_.database}});
    }
    log::info("pg", "private_server_ready",
              {{"socket_dir", run_dir_},
               {"database", options_.database},
               {"created", created_},
               {"reused", reused_}});
  } catch (...) {
    // Leave nothing half-owned: a server we started is stopped again, the lock released.
    if (running_ && !reused_ && !options_.keep_running) {
      try {
        stop();
      } catch (...) {
      }
    }
    if (lock_fd_ >= 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
    throw;
  }
}

private_cluster::~private_cluster() {
  if (running_ && !options_.keep_running) {
    try {
      stop();
    } catch (const std::exception& e) {
      log::error("pg", "private_server_stop_failed", {{"error", e.what()}});
    }
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string private_cluster::psql_command() const {
  return "psql \"" + dsn_ + "\"";
}

std::vector<std::string> private_cluster::as_owner(std::vector<std::string> argv) const {
  if (!owner_user_.empty()) argv.insert(argv.begin(), {find_runuser(), "-u", owner_user_, "--"});
  return argv;
}

void private_cluster::stop() {
  if (running_) {
    pid_t pid = recorded_pid(pgdata_);
    const std::string timeout = std::to_string(options_.timeout.count());
    auto pg_ctl_stop = [&](const char* mode) {
      return run_command(as_owner(
          {bin_dir_ + "/pg_ctl", "stop", "-D", pgdata_, "-m", mode, "-w", "-t", timeout, "-s"}));
    };
    auto res = pg_ctl_stop("fast");
    if (res.exit_code != 0 && is_our_postmaster(pid, pgdata_)) {
      log::warn("pg", "fast_stop_failed", {{"output", tail(res.output, 500)}});
      res = pg_ctl_stop("immediate");
      if (res.exit_code != 0 && is_our_postmaster(pid, pgdata_))
        fail("pg_ctl stop failed (exit " + std::to_string(res.exit_code) + "):\n" +
             tail(res.output));
    }
    // pg_ctl -w returns once postmaster.pid is gone; make sure the process is too.
    if (pid) wait_for_exit(pid, std::chrono::seconds(10));
    running_ = false;
    log::info("pg", "private_server_stopped", {{"pgdata", pgdata_}});
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

} // namespace finstream::pg
