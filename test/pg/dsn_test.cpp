// Unit tests of DSN resolution (flag, file, environment), rewriting and password redaction.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "pg/dsn.hpp"

using finstream::pg::dsn_settings;
using finstream::pg::dsn_with;
using finstream::pg::redact_dsn;
using finstream::pg::resolve_dsn;
using finstream::pg::scrub_secrets;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Sets or clears environment variables for the duration of a test.
struct env_guard {
  std::string name;
  explicit env_guard(std::string n, const char* value = nullptr)
      : name(std::move(n)) {
    if (value)
      ::setenv(name.c_str(), value, 1);
    else
      ::unsetenv(name.c_str());
  }
  ~env_guard() { ::unsetenv(name.c_str()); }
};

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& content) {
    char tmpl[] = "/tmp/finstream-dsn-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << content;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

} // namespace

TEST_CASE("redact_dsn masks the password of a URI DSN", "[pg][dsn]") {
  const auto r = redact_dsn("postgresql://alice:s3cr3t-pw@db.example:5433/prod?sslmode=require");
  CHECK_FALSE(contains(r, "s3cr3t-pw"));
  CHECK(contains(r, "password=***"));
  CHECK(contains(r, "user=alice"));
  CHECK(contains(r, "host=db.example"));
  CHECK(contains(r, "port=5433"));
  CHECK(contains(r, "dbname=prod"));
  CHECK(contains(r, "sslmode=require"));
}

TEST_CASE("redact_dsn masks passwords given as URI query parameters and percent-encoded",
          "[pg][dsn]") {
  auto r = redact_dsn("postgres://bob@h1/db?password=hunter22&sslpassword=keypass9");
  CHECK_FALSE(contains(r, "hunter22"));
  CHECK_FALSE(contains(r, "keypass9"));
  CHECK(contains(r, "sslpassword=***"));
  r = redact_dsn("postgresql://u:p%40ss%20word@h/d");
  CHECK_FALSE(contains(r, "p%40ss"));
  CHECK_FALSE(contains(r, "p@ss"));
  CHECK(contains(r, "password=***"));
}

TEST_CASE("redact_dsn masks the password of a key=value DSN, quoted or not", "[pg][dsn]") {
  auto r = redact_dsn("host=h user=u password=p4ssw0rd dbname=d");
  CHECK_FALSE(contains(r, "p4ssw0rd"));
  CHECK(contains(r, "password=***"));
  CHECK(contains(r, "host=h"));
  CHECK(contains(r, "user=u"));
  CHECK(contains(r, "dbname=d"));
  r = redact_dsn("host=h password = 'with space \\' quote' dbname=d");
  CHECK_FALSE(contains(r, "with space"));
  CHECK_FALSE(contains(r, "quote"));
  CHECK(contains(r, "password=***"));
  r = redact_dsn("host=h user=u dbname=d");
  CHECK_FALSE(contains(r, "password"));
  CHECK(contains(r, "dbname=d"));
}

TEST_CASE("redact_dsn never echoes a DSN it cannot parse", "[pg][dsn]") {
  CHECK(redact_dsn("host=h password='unterminated-secret") == "<unparsable DSN>");
  CHECK(redact_dsn("postgresql://u:pw-secret@h:notaport:/d?x") == "<unparsable DSN>");
  CHECK(redact_dsn("just-a-secret-word") == "<unparsable DSN>");
  CHECK(redact_dsn("") == "<libpq defaults>");
  CHECK(redact_dsn("   ") == "<libpq defaults>");
}

TEST_CASE("dsn_with replaces and adds settings and keeps the others intact", "[pg][dsn]") {
  const auto d = dsn_with("postgresql://alice:it's a \\secret@h:5433/prod",
                          {{"dbname", "other db"}, {"application_name", "x"}});
  const auto s = dsn_settings(d);
  auto get = [&](const std::string& k) {
    for (const auto& [key, v] : s)
      if (key == k) return v;
    return std::string{"<none>"};
  };
  CHECK(get("dbname") == "other db");
  CHECK(get("application_name") == "x");
  CHECK(get("user") == "alice");
  CHECK(get("password") == "it's a \\secret");
  CHECK(get("host") == "h");
  CHECK(get("port") == "5433");
  CHECK_THROWS_AS(dsn_with("host='broken", {}), std::invalid_argument);
  try {
    dsn_with("host=h password='broken-secret", {});
  } catch (const std::invalid_argument& e) {
    CHECK_FALSE(contains(e.what(), "broken-secret"));
  }
}

TEST_CASE("dsn_with quotes values holding a vertical tab or a form feed (libpq splits on them)",
          "[pg][dsn]") {
  // Found by test/fuzz/dsn_fuzz.cpp (regression input test/fuzz/regressions/dsn/): a vertical tab
  // in a URI's password was written unquoted and split the rewritten DSN.
  const auto d = dsn_with("postgresql://u:a%0Bb%0Cc@h/db", {{"dbname", "x"}});
  const auto s = dsn_settings(d);
  std::string password;
  for (const auto& [key, v] : s)
    if (key == "password") password = v;
  CHECK(password == "a\vb\fc");
}

TEST_CASE("scrub_secrets removes the DSN's password from free text", "[pg][dsn]") {
  const std::string dsn = "host=h user=u password=Tr0ub4dor";
  CHECK(scrub_secrets("FATAL: bad Tr0ub4dor here, Tr0ub4dor again", dsn) ==
        "FATAL: bad *** here, *** again");
  CHECK(scrub_secrets("nothing secret", dsn) == "nothing secret");
}

TEST_CASE("resolve_dsn: flag, then --pg-file, then FINSTREAM_PG, then FINSTREAM_PG_FILE",
          "[pg][dsn]") {
  temp_file flag_file{"  host=from-flag-file\n"};
  temp_file env_file{"host=from-env-file\n\n"};
  env_guard e1{"FINSTREAM_PG", "host=from-env"};
  env_guard e2{"FINSTREAM_PG_FILE", env_file.path.c_str()};
  CHECK(resolve_dsn("host=from-flag", flag_file.path) == "host=from-flag");
  CHECK(resolve_dsn("", flag_file.path) == "host=from-flag-file");
  CHECK(resolve_dsn() == "host=from-env");
  ::unsetenv("FINSTREAM_PG");
  CHECK(resolve_dsn() == "host=from-env-file");
  ::unsetenv("FINSTREAM_PG_FILE");
  CHECK(resolve_dsn().empty()); // libpq's PG* environment and defaults
}

TEST_CASE("resolve_dsn reports unreadable or empty files by name, not by content", "[pg][dsn]") {
  env_guard e1{"FINSTREAM_PG"};
  env_guard e2{"FINSTREAM_PG_FILE"};
  CHECK_THROWS_WITH(resolve_dsn("", "/nonexistent/finstream.dsn"),
                    Catch::Contains("/nonexistent/finstream.dsn"));
  temp_file empty{" \n"};
  CHECK_THROWS_WITH(resolve_dsn("", empty.path), Catch::Contains("empty"));
}

TEST_CASE("resolve_dsn with a configuration layer: flags, then configuration, then environment",
          "[pg][dsn]") {
  temp_file cfg_file{"host=from-config-file"};
  env_guard e1{"FINSTREAM_PG", "host=from-env"};
  env_guard e2{"FINSTREAM_PG_FILE"};
  using finstream::pg::dsn_sources;
  CHECK(resolve_dsn(dsn_sources{"", cfg_file.path, "host=from-config", ""}) ==
        "host=from-config-file");
  CHECK(resolve_dsn(dsn_sources{"", "", "host=from-config", cfg_file.path}) == "host=from-config");
  CHECK(resolve_dsn(dsn_sources{"", "", "", cfg_file.path}) == "host=from-config-file");
  CHECK(resolve_dsn(dsn_sources{}) == "host=from-env");
}

TEST_CASE("scrub_secrets also removes $PGPASSWORD", "[pg][dsn]") {
  env_guard pw{"PGPASSWORD", "EnvSecret77"};
  CHECK(scrub_secrets("auth failed for EnvSecret77", "host=h") == "auth failed for ***");
}
