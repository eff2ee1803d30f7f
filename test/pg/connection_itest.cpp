// Integration tests of the libpq wrapper: parameters, NULLs, COPY, error kinds, retry after a lost
// connection, and a transaction that rolls back when not committed.
#include <catch2/catch.hpp>

#include "pg/connection.hpp"
#include "pg/pg_fixtures.hpp"

using namespace finstream;

TEST_CASE("parameters travel as text, including NULL and hostile strings", "[pg][connection]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  auto r = c.query("SELECT $1::text, $2::bigint, $3::float8, $4::text IS NULL, length($5)",
                   std::string{"it's \"quoted\"; DROP TABLE x; --"}, std::int64_t{-42}, 0.1,
                   std::nullopt, std::string{"\\\\"});
  CHECK(r.str(0, 0) == "it's \"quoted\"; DROP TABLE x; --");
  CHECK(r.int64(0, 1) == -42);
  CHECK(r.float8(0, 2) == 0.1);
  CHECK(r.text(0, 3) == "t");
  CHECK(r.int64(0, 4) == 2);
  auto a = c.query("SELECT array_length($1::text[], 1), ($1::text[])[2] IS NULL, ($1::text[])[3]",
                   pg::array_literal({std::string{"a,b"}, std::nullopt, std::string{"\"}"}}));
  CHECK(a.int64(0, 0) == 3);
  CHECK(a.text(0, 1) == "t");
  CHECK(a.str(0, 2) == "\"}");
}

TEST_CASE("errors are classified: bad SQL and constraint violations are not retried",
          "[pg][connection]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  c.exec("CREATE TABLE t (k integer PRIMARY KEY)");
  c.query("INSERT INTO t VALUES ($1)", 1);
  try {
    c.query("INSERT INTO t VALUES ($1)", 1);
    FAIL("duplicate key accepted");
  } catch (const pg::pg_error& e) {
    CHECK(e.kind() == pg::error_kind::other);
    CHECK(e.sqlstate() == "23505");
  }
  CHECK(c.is_ok());
  int calls = 0;
  CHECK_THROWS_AS(c.with_retry([&](pg::connection& conn) {
    ++calls;
    return conn.exec("SELEC 1");
  }),
                  pg::pg_error);
  CHECK(calls == 1);
}

TEST_CASE("COPY loads rows, a transaction not committed is rolled back", "[pg][connection]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  c.exec("CREATE TABLE t (k integer, v text)");
  CHECK(c.copy_in("COPY t (k, v) FROM STDIN", "1\ta\n2\t\\N\n") == 2);
  {
    pg::transaction tx(c);
    c.copy_in("COPY t (k, v) FROM STDIN", "3\tc\n");
  }
  CHECK(test::count(c, "SELECT count(*) FROM t") == 2);
  CHECK_THROWS_AS(c.copy_in("COPY t (k, v) FROM STDIN", "not-a-number\tx\n"), pg::pg_error);
  CHECK(c.is_ok()); // a data error keeps the session
  CHECK(test::count(c, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("with_retry reconnects after the backend is killed and runs the work again",
          "[pg][connection]") {
  test::scratch_db db;
  pg::connection admin{db.dsn()};
  pg::connection c{db.dsn()};
  const int pid = c.backend_pid();
  admin.query("SELECT pg_terminate_backend($1)", pid);
  CHECK_FALSE(c.ping());
  int calls = 0;
  auto r = c.with_retry([&](pg::connection& conn) {
    ++calls;
    return conn.exec("SELECT pg_backend_pid()");
  });
  CHECK(r.int64(0, 0) != pid);
  CHECK(c.generation() >= 2);
  CHECK(calls <= 2);
  CHECK(c.ping());
}
