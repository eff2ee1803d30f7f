// Integration tests of the libpq wrapper: parameters, NULLs, COPY, error kinds, retry after a lost
// connection, a transaction that rolls back when not committed, session limits and a hung server.
#include <catch2/catch.hpp>

#include <chrono>

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

TEST_CASE("sessions carry the limits, TCP keepalives and tcp_user_timeout are on the socket, "
          "the server probes the client with the same keepalives",
          "[pg][connection]") {
  test::scratch_db db;
  pg::session_limits limits;
  limits.statement_timeout = std::chrono::milliseconds{4500};
  limits.idle_in_transaction_timeout = std::chrono::milliseconds{7000};
  limits.tcp_user_timeout = std::chrono::milliseconds{12000};
  limits.keepalives_idle_s = 17;
  limits.keepalives_interval_s = 4;
  limits.keepalives_count = 5;
  const auto saved = pg::default_session_limits();
  pg::set_default_session_limits(limits);
  pg::connection c{db.dsn()}; // TCP: FINSTREAM_TEST_PG names 127.0.0.1
  pg::set_default_session_limits(saved);
  CHECK(c.exec("SHOW statement_timeout").str(0, 0) == "4500ms");
  CHECK(c.exec("SHOW idle_in_transaction_session_timeout").str(0, 0) == "7s");
  // The server's side of the session: a backend whose client vanished is ended.
  CHECK(c.exec("SHOW tcp_keepalives_idle").str(0, 0) == "17");
  CHECK(c.exec("SHOW tcp_keepalives_interval").str(0, 0) == "4");
  CHECK(c.exec("SHOW tcp_keepalives_count").str(0, 0) == "5");
  const int fd = PQsocket(c.raw());
  REQUIRE(fd >= 0);
  int value = 0;
  socklen_t len = sizeof value;
  REQUIRE(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, &len) == 0);
  CHECK(value == 1);
  REQUIRE(getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, &len) == 0);
  CHECK(value == 12000);
  REQUIRE(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &value, &len) == 0);
  CHECK(value == limits.keepalives_idle_s);
  // The server enforces the statement timeout (57014 query_canceled).
  try {
    c.exec("SELECT pg_sleep(10)");
    FAIL("pg_sleep(10) not cancelled");
  } catch (const pg::pg_error& e) {
    CHECK(e.sqlstate() == "57014");
  }
}

TEST_CASE("a hung server (SIGSTOP) is detected after statement_timeout + grace, the retry "
          "succeeds once it continues",
          "[pg][connection]") {
  test::private_postgres server;
  pg::session_limits limits;
  limits.statement_timeout = std::chrono::milliseconds{1000};
  limits.answer_grace = std::chrono::milliseconds{1000};
  const auto saved = pg::default_session_limits();
  pg::set_default_session_limits(limits);
  pg::reconnect_policy policy;
  policy.connect_timeout_s = 2;
  pg::connection c{server.dsn(), policy};
  pg::set_default_session_limits(saved);
  c.exec("CREATE TABLE t (k integer)");
  REQUIRE(server.pause() > 0);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    c.exec("INSERT INTO t VALUES (1)");
    FAIL("a statement on a stopped server returned");
  } catch (const pg::pg_error& e) {
    INFO(e.what());
    CHECK(e.kind() == pg::error_kind::connection);
    CHECK(std::string{e.what()}.find("no answer from the server within 2000 ms") !=
          std::string::npos);
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds{1900});
  CHECK(waited < std::chrono::seconds{30}); // bounded: without the deadline it never returns
  CHECK_FALSE(c.is_ok());
  server.resume();
  // The unit of work runs again on a new connection. The hung INSERT may have been executed by
  // its backend after SIGCONT (its client was gone by then): count what is there, not 1 or 2.
  c.with_retry([](pg::connection& conn) { return conn.exec("INSERT INTO t VALUES (2)"); });
  CHECK(test::scalar(c, "SELECT count(*) FROM t WHERE k = 2") == "1");
}
