// Integration tests of the schema migrations against the real PostgreSQL: from an empty database,
// re-run as a no-op, and several migrators racing on one database.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/indicator_row.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"

using namespace finstream;
using test::count;
using test::scalar;

TEST_CASE("migrate creates the schema in an empty database", "[pg][migrations]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  CHECK(count(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0);

  const auto r = pg::migrate(c);
  REQUIRE(r.applied.size() == pg::migrations().size());
  CHECK(r.version == pg::migrations().back().version);

  // technical_indicators: the original columns, adj_close, one double column per indicator.
  auto cols = c.exec("SELECT column_name, data_type FROM information_schema.columns\n"
                     "WHERE table_name = 'technical_indicators' ORDER BY ordinal_position");
  std::vector<std::pair<std::string, std::string>> expected = {{"symbol", "text"},
                                                               {"date", "date"},
                                                               {"open", "double precision"},
                                                               {"high", "double precision"},
                                                               {"low", "double precision"},
                                                               {"close", "double precision"},
                                                               {"adj_close", "double precision"},
                                                               {"volume", "bigint"}};
  for (const char* name : indicator_columns)
    expected.emplace_back(name, "double precision");
  REQUIRE(cols.rows() == static_cast<int>(expected.size()));
  for (int i = 0; i < cols.rows(); ++i) {
    CHECK(cols.str(i, 0) == expected[static_cast<std::size_t>(i)].first);
    CHECK(cols.str(i, 1) == expected[static_cast<std::size_t>(i)].second);
  }
  CHECK(scalar(c, "SELECT pg_get_constraintdef(oid) FROM pg_constraint\n"
                  "WHERE conrelid = 'technical_indicators'::regclass AND contype = 'p'") ==
        "PRIMARY KEY (symbol, date)");
  CHECK(scalar(c, "SELECT pg_get_constraintdef(oid) FROM pg_constraint\n"
                  "WHERE conrelid = 'processor_offsets'::regclass AND contype = 'p'") ==
        "PRIMARY KEY (consumer_group, topic, partition)");
  for (const char* t :
       {"symbol_state", "processor_offsets", "processor_symbol_state", "schema_migrations"})
    CHECK(count(c, std::string{"SELECT count(*) FROM pg_tables WHERE tablename = '"} + t + "'") ==
          1);
  CHECK(count(c, "SELECT count(*) FROM pg_views WHERE viewname = 'latest_indicators'") == 1);
  CHECK(count(c, "SELECT count(*) FROM schema_migrations") ==
        static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_CASE("migrate again applies nothing and changes nothing", "[pg][migrations]") {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  pg::migrate(c);
  const auto applied_at = scalar(c, "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY "
                                    "version) FROM schema_migrations");
  c.exec("INSERT INTO symbol_state (symbol, last_date) VALUES ('AAPL', '2024-01-31')");

  const auto again = pg::migrate(c);
  CHECK(again.applied.empty());
  CHECK(again.version == pg::migrations().back().version);
  CHECK(scalar(c, "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM "
                  "schema_migrations") == applied_at);
  CHECK(scalar(c, "SELECT last_date FROM symbol_state WHERE symbol = 'AAPL'") == "2024-01-31");

  pg::connection other{db.dsn()}; // a new session (another replica) sees the same
  CHECK(pg::migrate(other).applied.empty());
}

TEST_CASE("concurrent migrators on separate connections apply each version exactly once",
          "[pg][migrations]") {
  test::scratch_db db;
  constexpr int n = 6;
  std::vector<pg::connection> conns;
  for (int i = 0; i < n; ++i)
    conns.emplace_back(db.dsn());
  std::vector<pg::migrate_result> results(n);
  std::vector<std::string> errors(n);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < n) {
      }
      try {
        results[static_cast<std::size_t>(i)] = pg::migrate(conns[static_cast<std::size_t>(i)]);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  std::size_t total_applied = 0;
  for (int i = 0; i < n; ++i) {
    INFO("migrator " << i);
    CHECK(errors[static_cast<std::size_t>(i)].empty());
    CHECK(results[static_cast<std::size_t>(i)].version == pg::migrations().back().version);
    total_applied += results[static_cast<std::size_t>(i)].applied.size();
  }
  CHECK(total_applied == pg::migrations().size());
  CHECK(count(conns[0], "SELECT count(*) FROM schema_migrations") ==
        static_cast<std::int64_t>(pg::migrations().size()));
}

TEST_CASE("a database at an older version is upgraded by the missing versions only",
          "[pg][migrations]") {
  REQUIRE(pg::migrations().size() >= 2);
  test::scratch_db db;
  pg::connection c{db.dsn()};
  // Bring the database to version 1 by hand, as an older binary would have left it.
  c.exec("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
         "applied_at timestamptz NOT NULL DEFAULT now())");
  for (const auto& s : pg::migrations().front().statements)
    c.exec(s);
  c.exec("INSERT INTO schema_migrations (version, name) VALUES (1, 'initial schema')");
  c.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES ('AAPL', '2024-01-02', 1)");

  const auto r = pg::migrate(c);
  REQUIRE_FALSE(r.applied.empty());
  CHECK(r.applied.front() == 2);
  CHECK(r.version == pg::migrations().back().version);
  CHECK(count(c, "SELECT count(*) FROM technical_indicators") == 1); // data kept
  CHECK(count(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'backfill_requests'") == 1);
}
