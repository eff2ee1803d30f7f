// Integration tests of the active indicator set's table on the real PostgreSQL: columns added once
// and only as plain identifiers, the version bumped by a change only, the fill list, and a state
// committed by a processor on an older set listing its symbol.
#include <catch2/catch.hpp>

#include "pg/indicator_sets.hpp"
#include "pg/migrations.hpp"
#include "pg/sink.hpp"
#include "pg_fixtures.hpp"

using namespace finstream;

namespace {

std::vector<std::string> columns_of_table(pg::connection& c) {
  auto r = c.exec("SELECT attname FROM pg_attribute WHERE attrelid = "
                  "'technical_indicators'::regclass AND attnum > 0 AND NOT attisdropped "
                  "ORDER BY attnum");
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(r.str(i, 0));
  return out;
}

} // namespace

TEST_CASE("the indicator set: columns added once, version bumped by a change only, fill listed",
          "[pg]") {
  test::scratch_db db{"fs_iset"};
  pg::connection c{db.dsn()};
  pg::migrate(c);
  CHECK_FALSE(pg::read_indicator_set(c));
  c.exec("INSERT INTO processor_symbol_state (symbol, last_date, algo_version, state) VALUES "
         "('AAPL', '2024-01-02', 1, '\\x00'), ('MSFT', '2024-01-02', 1, '\\x00')");
  const auto before = columns_of_table(c);

  auto first = pg::write_indicator_set(c, "rsi(14)", {"rsi"}, false);
  CHECK(first.changed);
  CHECK(first.now.version == 1);
  CHECK(first.added_columns.empty());
  CHECK(first.fill_pending == 0);

  auto added = pg::write_indicator_set(c, "rsi(14),sma(200)", {"rsi", "sma_200"}, true);
  CHECK(added.now.version == 2);
  CHECK(added.added_columns == std::vector<std::string>{"sma_200"});
  CHECK(added.fill_pending == 2);
  auto cols = columns_of_table(c);
  CHECK(cols.size() == before.size() + 1);
  CHECK(cols.back() == "sma_200");
  // A symbol without a processor state (purged) has nothing to fill: not listed.
  c.exec("INSERT INTO indicator_fill_pending VALUES ('GONE', 2)");
  CHECK(pg::fill_pending_symbols(c, 2) == std::vector<std::string>{"AAPL", "MSFT"});
  CHECK(pg::fill_pending_symbols(c, 1).empty());
  CHECK(pg::fill_pending_count(c) == 2);

  auto again = pg::write_indicator_set(c, "rsi(14),sma(200)", {"rsi", "sma_200"}, true);
  CHECK_FALSE(again.changed);
  CHECK(again.now.version == 2);
  CHECK(again.added_columns.empty());
  CHECK(columns_of_table(c).size() == cols.size());
  auto stored = pg::read_indicator_set(c);
  REQUIRE(stored);
  CHECK(stored->spec == "rsi(14),sma(200)");
  CHECK(stored->version == 2);

  // Never arbitrary text in DDL.
  CHECK_THROWS_AS(pg::write_indicator_set(c, "x", {"sma_200; DROP TABLE symbol_state"}, false),
                  std::invalid_argument);
  CHECK(columns_of_table(c).size() == cols.size());
}

TEST_CASE("the sink settles fill entries up to its set version and lists states of an older set",
          "[pg]") {
  test::scratch_db db{"fs_iset_sink"};
  pg::connection c{db.dsn()};
  pg::migrate(c);
  pg::write_indicator_set(c, "rsi(14),sma(200)", {"rsi", "sma_200"}, false);
  c.exec("INSERT INTO indicator_fill_pending VALUES ('AAPL', 1)");
  pg::sink s{db.dsn(), pg::sink_options{}};
  auto state = [](const std::string& sym) {
    pg::symbol_state_update u;
    u.symbol = sym;
    u.last_date = 19724;
    u.algo_version = 1;
    u.state = "x";
    return u;
  };
  {
    pg::batch b; // a processor on the active set (version 1): AAPL's fill is done
    b.set_version = 1;
    b.states = {state("AAPL")};
    REQUIRE(s.write(b).status == pg::write_status::committed);
    CHECK(pg::fill_pending_count(c) == 0);
  }
  {
    pg::batch b; // a processor that has not switched (still the default set): listed
    b.set_version = 0;
    b.states = {state("NEW")};
    REQUIRE(s.write(b).status == pg::write_status::committed);
    CHECK(pg::fill_pending_symbols(c, 1) == std::vector<std::string>{"NEW"});
  }
}
