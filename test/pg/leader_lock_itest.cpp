// Integration tests of leader election by session advisory lock.
#include <catch2/catch.hpp>

#include "pg/leader_lock.hpp"
#include "pg/pg_fixtures.hpp"
#include "support/env.hpp"

using namespace finstream;

TEST_CASE("one leader at a time, release hands over", "[pg][leader_lock]") {
  test::scratch_db db;
  pg::leader_lock a{db.dsn(), "finstream.manager"};
  pg::leader_lock b{db.dsn(), "finstream.manager"};
  pg::leader_lock other{db.dsn(), "another.lock"};
  CHECK_FALSE(a.is_held());
  CHECK(a.try_acquire());
  CHECK(a.try_acquire()); // idempotent
  CHECK(a.is_held());
  CHECK_FALSE(b.try_acquire());
  CHECK_FALSE(b.is_held());
  CHECK(other.try_acquire()); // another name is another lock
  a.release();
  CHECK_FALSE(a.is_held());
  CHECK(b.try_acquire());
  CHECK(b.is_held());
  CHECK_FALSE(a.try_acquire());
}

TEST_CASE("is_held detects a lost connection, and the lock is free for another replica",
          "[pg][leader_lock]") {
  test::scratch_db db;
  pg::connection admin{db.dsn()};
  pg::leader_lock a{db.dsn(), "finstream.manager"};
  pg::leader_lock b{db.dsn(), "finstream.manager"};
  REQUIRE(a.try_acquire());
  REQUIRE(a.key());
  // Kill a's session (as a server restart or a network cut would).
  // Only this test's database: other tests on the same server hold advisory locks of their own.
  CHECK(test::count(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE "
                           "locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND "
                           "database = (SELECT oid FROM pg_database "
                           "WHERE datname = current_database())") == 1);
  CHECK_FALSE(a.is_held());
  CHECK(b.try_acquire());
  CHECK_FALSE(a.try_acquire()); // reconnects, but b leads now
}

TEST_CASE("try_acquire reports an unreachable database as not acquired", "[pg][leader_lock]") {
  (void)test::pg_dsn();
  pg::leader_lock a{"postgresql://finstream:pw-never-logged@127.0.0.1:1/x", "finstream.manager"};
  CHECK_FALSE(a.try_acquire());
  CHECK_FALSE(a.is_held());
}
