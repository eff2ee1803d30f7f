// Fixtures for the PostgreSQL integration tests (see pg_fixtures.hpp).
#include "pg/pg_fixtures.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include "pg/dsn.hpp"
#include "support/env.hpp"

namespace finstream::test {

scratch_db::scratch_db(const std::string& prefix)
    : admin_dsn_(pg_dsn())
    , name_(unique_name(prefix)) {
  pg::connection admin{admin_dsn_};
  admin.exec("CREATE DATABASE " + pg::quote_identifier(admin, name_));
  dsn_ = pg::dsn_with(admin_dsn_, {{"dbname", name_}});
}

scratch_db::~scratch_db() {
  try {
    pg::connection admin{admin_dsn_};
    admin.exec("DROP DATABASE IF EXISTS " + pg::quote_identifier(admin, name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    WARN("cannot drop scratch database " << name_ << ": " << e.what());
  }
}

int run_command(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

private_server::private_server() {
  (void)pg_dsn(); // integration tests run only with the harness' services
  char tmpl[] = "/tmp/finstream-pgtest-XXXXXX";
  if (!::mkdtemp(tmpl)) FAIL("mkdtemp failed");
  state_dir_ = tmpl;
  std::string out;
  const std::string script = source_dir() + "/test/services/pg.sh";
  int rc = run_command("'" + script + "' start '" + state_dir_ + "'", &out);
  if (rc != 0) FAIL("pg.sh start failed: " << out);
  std::ifstream env(state_dir_ + "/pg.env");
  std::string line;
  while (std::getline(env, line))
    if (line.rfind("FINSTREAM_TEST_PG=", 0) == 0)
      dsn_ = line.substr(std::string{"FINSTREAM_TEST_PG="}.size());
  if (dsn_.empty()) FAIL("pg.sh start wrote no DSN: " << out);
}

private_server::~private_server() {
  run_command("'" + source_dir() + "/test/services/pg.sh' stop '" + state_dir_ + "'");
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

void private_server::restart() {
  std::string out;
  int rc =
      run_command("'" + source_dir() + "/test/services/pg.sh' restart '" + state_dir_ + "'", &out);
  if (rc != 0) FAIL("pg.sh restart failed: " << out);
}

indicator_row make_row(const std::string& symbol, day_t date, double salt) {
  indicator_row r;
  r.symbol = symbol;
  r.b.date = date;
  const double base = 10.0 + (date % 1000) * 0.37 + salt;
  r.b.open = base;
  r.b.high = base * 1.0125;
  r.b.low = base * 0.9875;
  r.b.close = base + 0.1;
  r.b.adj_close = (base + 0.1) * 0.98;
  r.b.volume = 1000000 + date % 5000 + static_cast<std::int64_t>(salt * 7);
  for (std::size_t i = 0; i < r.values.size(); ++i)
    r.values[i] = base / (static_cast<double>(i) + 1.3) + salt * 0.001;
  return r;
}

std::string scalar(pg::connection& c, const std::string& sql) {
  auto r = c.exec(sql);
  if (r.rows() != 1 || r.columns() != 1)
    throw std::runtime_error("scalar(): query returned " + std::to_string(r.rows()) + " rows");
  return r.str(0, 0);
}

std::int64_t count(pg::connection& c, const std::string& sql) {
  return std::stoll(scalar(c, sql));
}

} // namespace finstream::test
