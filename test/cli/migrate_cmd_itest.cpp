// Integration tests of `finstream migrate` (the built binary against the real PostgreSQL): fresh
// database, re-run, two processes at once, DSN from --pg-file and the environment, exit codes, and
// no password in its output.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg/connection.hpp"
#include "pg/dsn.hpp"
#include "pg/migrations.hpp"
#include "support/env.hpp"

extern char** environ;

using namespace finstream;

namespace {

// A fresh database for one test, dropped at the end.
struct fresh_db {
  std::string admin = test::pg_dsn();
  std::string name = test::unique_name("fs_migrate_cli");
  std::string dsn;
  fresh_db() {
    pg::connection c{admin};
    c.exec("CREATE DATABASE " + pg::quote_identifier(c, name));
    dsn = pg::dsn_with(admin, {{"dbname", name}});
  }
  ~fresh_db() {
    try {
      pg::connection c{admin};
      c.exec("DROP DATABASE IF EXISTS " + pg::quote_identifier(c, name) + " WITH (FORCE)");
    } catch (...) {
    }
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A started `finstream migrate ...` process; wait() collects its exit code and output.
struct process {
  pid_t pid = -1;
  std::string out_path, err_path;
  int code = -1;
  std::string out, err;

  process(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {},
          const std::vector<std::string>& unset_env = {}) {
    out_path = "/tmp/" + test::unique_name("fs_migrate_out");
    err_path = out_path + ".err";
    std::vector<std::string> argv_s = {test::binary(), "migrate"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      bool drop = false;
      for (const auto& u : unset_env)
        drop = drop || kv.rfind(u + "=", 0) == 0;
      if (!drop) env_s.push_back(kv);
    }
    env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_s)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&fa);
  }
  process& wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out = slurp(out_path);
    err = slurp(err_path);
    std::remove(out_path.c_str());
    std::remove(err_path.c_str());
    return *this;
  }
};

// The variables that could hand the DSN to the child behind the test's back.
const std::vector<std::string> dsn_env = {"FINSTREAM_PG", "FINSTREAM_PG_FILE", "FINSTREAM_PG_DSN",
                                          "FINSTREAM_PG_DSN_FILE", "FINSTREAM_CONFIG"};

std::int64_t migrations_in(const std::string& dsn) {
  pg::connection c{dsn};
  return c.exec("SELECT count(*) FROM schema_migrations").int64(0, 0);
}

} // namespace

TEST_CASE("finstream migrate creates the schema, and a re-run changes nothing", "[cli][migrate]") {
  fresh_db db;
  auto first = process({"--pg", db.dsn}, {}, dsn_env).wait();
  INFO(first.err);
  CHECK(first.code == 0);
  CHECK(first.out.find("applied") != std::string::npos);
  CHECK(migrations_in(db.dsn) == static_cast<std::int64_t>(pg::migrations().size()));
  auto again = process({"--pg", db.dsn}, {}, dsn_env).wait();
  CHECK(again.code == 0);
  CHECK(again.out.find("up to date") != std::string::npos);
  CHECK(migrations_in(db.dsn) == static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_CASE("two finstream migrate processes at once apply each version once", "[cli][migrate]") {
  fresh_db db;
  process a({"--pg", db.dsn}, {}, dsn_env);
  process b({"--pg", db.dsn}, {}, dsn_env);
  a.wait();
  b.wait();
  INFO(a.err << b.err);
  CHECK(a.code == 0);
  CHECK(b.code == 0);
  const bool a_applied = a.out.find("applied") != std::string::npos;
  const bool b_applied = b.out.find("applied") != std::string::npos;
  CHECK(a_applied != b_applied); // exactly one did the work
  CHECK(migrations_in(db.dsn) == static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_CASE("finstream migrate takes the DSN from --pg-file, FINSTREAM_PG or FINSTREAM_PG_FILE",
          "[cli][migrate]") {
  fresh_db db;
  const std::string file = "/tmp/" + test::unique_name("fs_dsn");
  std::ofstream(file) << db.dsn << "\n";
  auto from_file = process({"--pg-file", file}, {}, dsn_env).wait();
  INFO(from_file.err);
  CHECK(from_file.code == 0);
  CHECK(from_file.out.find("applied") != std::string::npos);
  auto from_env = process({}, {"FINSTREAM_PG=" + db.dsn}, dsn_env).wait();
  CHECK(from_env.code == 0);
  CHECK(from_env.out.find("up to date") != std::string::npos);
  auto from_env_file = process({}, {"FINSTREAM_PG_FILE=" + file}, dsn_env).wait();
  CHECK(from_env_file.code == 0);
  CHECK(from_env_file.out.find("up to date") != std::string::npos);
  std::remove(file.c_str());
  CHECK(migrations_in(db.dsn) == static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_CASE("finstream migrate: unreachable server → exit 1 without the password, bad input → 2",
          "[cli][migrate]") {
  (void)test::pg_dsn();
  auto down = process({"--pg", "postgresql://finstream:Hunter2Secret@127.0.0.1:1/x", "--wait", "0"},
                      {}, dsn_env)
                  .wait();
  CHECK(down.code == 1);
  CHECK(down.err.find("Hunter2Secret") == std::string::npos);
  CHECK(down.out.find("Hunter2Secret") == std::string::npos);
  CHECK(down.err.find("password=***") != std::string::npos);

  auto no_file = process({"--pg-file", "/nonexistent/dsn"}, {}, dsn_env).wait();
  CHECK(no_file.code == 2);
  CHECK(no_file.err.find("/nonexistent/dsn") != std::string::npos);

  auto garbled = process({"--pg", "host=h password='Hunter2Secret"}, {}, dsn_env).wait();
  CHECK(garbled.code == 2);
  CHECK(garbled.err.find("Hunter2Secret") == std::string::npos);

  auto bad_flag = process({"--no-such-flag"}, {}, dsn_env).wait();
  CHECK(bad_flag.code == 2);
}

TEST_CASE("finstream migrate --plan lists the versions it would apply and changes nothing",
          "[cli][migrate]") {
  fresh_db db;
  auto plan = process({"--pg", db.dsn, "--plan"}, {}, dsn_env).wait();
  INFO(plan.err);
  CHECK(plan.code == 0);
  for (const auto& m : pg::migrations())
    CHECK(plan.out.find("version " + std::to_string(m.version) + ": " + m.name) !=
          std::string::npos);
  CHECK(plan.out.find("nothing changed (--plan)") != std::string::npos);
  pg::connection c{db.dsn};
  CHECK(c.exec("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
            .int64(0, 0) == 0);
  CHECK(process({"--pg", db.dsn}, {}, dsn_env).wait().code == 0);
  auto after = process({"--pg", db.dsn, "--plan"}, {}, dsn_env).wait();
  CHECK(after.code == 0);
  CHECK(after.out.find("nothing to do") != std::string::npos);
}
