// Integration tests of the operator's symbol actions against the real PostgreSQL: exclusions,
// retries of failed symbols, and purges fenced like a partition claim (a batch prepared before the
// purge is refused; replayed rows of a purged symbol are not written back).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "pg/manager_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/processor_store.hpp"
#include "pg/sink.hpp"
#include "pg/symbol_admin.hpp"

using namespace finstream;
using test::count;
using test::make_row;
using test::scalar;

namespace {

const std::string group = "processors";
const std::string topic = "stock_data_topic";

struct migrated {
  test::scratch_db db{"fs_admin"};
  pg::connection c{db.dsn()};
  migrated() { pg::migrate(c); }
};

pg::sink_options no_metrics() {
  pg::sink_options o;
  o.enable_metrics = false;
  return o;
}

// Rows of `symbol` for `n` days from 2024-01-02, a processor state and a done completion.
pg::batch batch_of(const std::string& symbol, int n, double salt = 0) {
  pg::batch b;
  const day_t d0 = *parse_date("2024-01-02");
  for (int i = 0; i < n; ++i)
    b.rows.push_back(make_row(symbol, d0 + i, salt));
  b.states.push_back({symbol, d0 + n - 1, 1, "state"});
  b.completions.push_back({symbol, symbol + ":t", d0, d0 + n - 1, pg::task_status::done, "", false});
  return b;
}

/// True once a session of the test's database waits for a lock in a statement containing `what`.
bool lock_waiting(pg::connection& watcher, const std::string& what) {
  return watcher
             .query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND strpos(query, $1) > 0",
                    what)
             .int64(0, 0) > 0;
}

bool wait_for_lock(pg::connection& watcher, const std::string& what, std::atomic<bool>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (!lock_waiting(watcher, what) && !done.load() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  return lock_waiting(watcher, what);
}


} // namespace

TEST_CASE("symbols: drop and undrop record exclusions idempotently and validate symbols",
          "[pg][symbols]") {
  migrated m;
  CHECK(pg::exclude_symbols(m.c, {"MSFT", "AAPL"}) == std::vector<std::string>{"AAPL", "MSFT"});
  CHECK(pg::exclude_symbols(m.c, {"AAPL", "TSLA"}) == std::vector<std::string>{"TSLA"});
  CHECK(pg::read_exclusions(m.c) == std::vector<std::string>{"AAPL", "MSFT", "TSLA"});
  CHECK(pg::include_symbols(m.c, {"MSFT", "NVDA"}) == std::vector<std::string>{"MSFT"});
  CHECK(pg::read_exclusions(m.c) == std::vector<std::string>{"AAPL", "TSLA"});
  CHECK_THROWS_AS(pg::exclude_symbols(m.c, {"A'; DROP TABLE x; --"}), std::invalid_argument);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_exclusions") == 2);
}

TEST_CASE("symbols: retry resets failed symbols only, permanent failures included",
          "[pg][symbols]") {
  migrated m;
  pg::sink s{m.db.dsn(), no_metrics()};
  const day_t d0 = *parse_date("2024-01-02");
  pg::mark_planned(m.c, {{"DONE", "DONE:t", d0, d0 + 2},
                         {"GONE", "GONE:t", d0, d0 + 2},
                         {"FLAKY", "FLAKY:t", d0 + 3, d0 + 5}});
  pg::batch b = batch_of("DONE", 3);
  b.rows.push_back(make_row("FLAKY", d0, 0));
  b.completions.push_back({"GONE", "GONE:t", d0, d0 + 2, pg::task_status::failed, "404", true});
  // FLAKY was stored through d0 before its current task failed transiently.
  b.completions.push_back({"FLAKY", "x", d0, d0, pg::task_status::done, "", false});
  b.completions.push_back(
      {"FLAKY", "FLAKY:t", d0 + 3, d0 + 5, pg::task_status::failed, "timeout", false});
  REQUIRE(s.write(b).status == pg::write_status::committed);
  REQUIRE(scalar(m.c, "SELECT status FROM symbol_state WHERE symbol = 'GONE'") == "failed");

  CHECK(pg::retry_symbols(m.c, {"DONE", "GONE", "FLAKY", "NEVER"}) ==
        std::vector<std::string>{"FLAKY", "GONE"});
  CHECK(scalar(m.c, "SELECT status || ',' || permanent || ',' || attempts || ',' || "
                    "coalesce(last_error, '-') || ',' || coalesce(task_id, '-') FROM symbol_state "
                    "WHERE symbol = 'GONE'") == "pending,false,0,-,-");
  CHECK(scalar(m.c, "SELECT status || ',' || last_date || ',' || coalesce(planned_to::text, '-') "
                    "FROM symbol_state WHERE symbol = 'FLAKY'") == "done,2024-01-02,-");
  CHECK(scalar(m.c, "SELECT status FROM symbol_state WHERE symbol = 'DONE'") == "done");
}

TEST_CASE("symbols: a purge deletes a dropped symbol's rows, fences batches prepared before it, "
          "and replayed rows of the symbol are not written back",
          "[pg][symbols]") {
  migrated m;
  pg::sink s{m.db.dsn(), no_metrics()};
  auto claims = pg::claim_partitions(s.conn(), group, topic, {0, 1});
  pg::batch first = batch_of("AAPL", 5);
  auto msft = batch_of("MSFT", 4);
  first.append(std::move(msft));
  first.offsets.push_back({group, topic, 0, claims[0].epoch, std::nullopt, 10});
  REQUIRE(s.write(first).status == pg::write_status::committed);
  REQUIRE(count(m.c, "SELECT count(*) FROM technical_indicators") == 9);

  // Not excluded: refused, nothing deleted.
  CHECK_THROWS_AS(pg::purge_symbols(m.c, {"AAPL"}), std::invalid_argument);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 9);

  pg::exclude_symbols(m.c, {"AAPL"});
  const auto r = pg::purge_symbols(m.c, {"AAPL"});
  CHECK(r.rows == 5);
  CHECK(r.fenced_partitions == 2);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM processor_symbol_state WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_state WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'MSFT'") == 4);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_exclusions WHERE purged_at IS NOT NULL") == 1);

  // A batch prepared under the old claim (e.g. in flight during the purge) is fenced.
  pg::batch stale = batch_of("AAPL", 6, 1);
  stale.offsets.push_back({group, topic, 0, claims[0].epoch, std::int64_t{10}, 20});
  CHECK(s.write(stale).status == pg::write_status::fenced);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);

  // The processor re-claims and replays the messages: the purged symbol's rows, state and
  // completion are dropped, the other symbols' are written.
  claims = pg::claim_partitions(s.conn(), group, topic, {0});
  pg::batch replay = batch_of("AAPL", 6, 1);
  auto nvda = batch_of("NVDA", 2);
  replay.append(std::move(nvda));
  replay.offsets.push_back({group, topic, 0, claims[0].epoch, std::int64_t{10}, 20});
  REQUIRE(s.write(replay).status == pg::write_status::committed);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_state WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM processor_symbol_state WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'NVDA'") == 2);

  // Undropped: the symbol is written again.
  pg::include_symbols(m.c, {"AAPL"});
  pg::batch again = batch_of("AAPL", 3, 2);
  again.offsets.push_back({group, topic, 0, claims[0].epoch, std::int64_t{20}, 30});
  REQUIRE(s.write(again).status == pg::write_status::committed);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 3);
}

TEST_CASE("symbols: a purge waits for a sink transaction in progress and deletes what it wrote",
          "[pg][symbols]") {
  migrated m;
  pg::sink s{m.db.dsn(), no_metrics()};
  const auto claim = pg::claim_partitions(s.conn(), group, topic, {0}).at(0);
  pg::batch b = batch_of("AAPL", 3);
  b.offsets.push_back({group, topic, 0, claim.epoch, std::nullopt, 10});
  REQUIRE(s.write(b).status == pg::write_status::committed);
  pg::exclude_symbols(m.c, {"AAPL"});

  // A writer mid-commit, as the sink does it: its offsets' row first (the compare-and-set), then
  // rows of the symbol, not committed yet.
  pg::connection writer{m.db.dsn()};
  writer.exec("BEGIN");
  REQUIRE(writer
              .query("UPDATE processor_offsets SET next_offset = 20 WHERE partition = 0 AND "
                     "owner_epoch = $1",
                     claim.epoch)
              .affected() == 1);
  writer.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES "
              "('AAPL', '2024-03-01', 1), ('AAPL', '2024-03-04', 2)");

  std::atomic<bool> done{false};
  pg::purge_result result;
  std::thread purge([&] {
    pg::connection c{m.db.dsn()};
    result = pg::purge_symbols(c, {"AAPL"});
    done = true;
  });
  // Fenced: the purge waits for the writer's offsets row (a lock wait, seen by the server).
  pg::connection watcher{m.db.dsn()};
  CHECK(wait_for_lock(watcher, "processor_offsets", done));
  CHECK_FALSE(done.load());
  writer.exec("COMMIT");
  purge.join();
  CHECK(result.rows == 5); // the 3 committed before and the 2 the writer committed meanwhile
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(scalar(m.c, "SELECT owner_epoch FROM processor_offsets WHERE partition = 0") ==
        std::to_string(claim.epoch + 1));
}

TEST_CASE("symbols: in local mode (batches without offsets) a sink commit meeting a purge in "
          "progress waits for it and writes nothing of the purged symbol",
          "[pg][symbols]") {
  migrated m;
  pg::sink s{m.db.dsn(), no_metrics()};
  REQUIRE(s.write(batch_of("AAPL", 3)).status == pg::write_status::committed);
  pg::exclude_symbols(m.c, {"AAPL"});
  // A purge holding its fence, as pg::purge_symbols does before it deletes.
  pg::connection purger{m.db.dsn()};
  purger.exec("BEGIN");
  purger.exec("UPDATE symbol_exclusions SET purged_at = now() WHERE symbol = 'AAPL'");
  purger.exec("SELECT pg_advisory_xact_lock(hashtextextended('finstream.purge', 0))");
  purger.exec("DELETE FROM technical_indicators WHERE symbol = 'AAPL'");
  purger.exec("DELETE FROM processor_symbol_state WHERE symbol = 'AAPL'");
  purger.exec("DELETE FROM symbol_state WHERE symbol = 'AAPL'");

  std::atomic<bool> done{false};
  pg::write_result result;
  std::thread writer([&] {
    result = s.write(batch_of("AAPL", 6, 1)); // new days: the append path unless fenced
    done = true;
  });
  pg::connection watcher{m.db.dsn()};
  CHECK(wait_for_lock(watcher, "finstream.purge", done));
  CHECK_FALSE(done.load());
  purger.exec("COMMIT");
  writer.join();
  CHECK(result.status == pg::write_status::committed);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM processor_symbol_state WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_state WHERE symbol = 'AAPL'") == 0);
}

TEST_CASE("symbols: in local mode a purge waits for a sink commit in progress and deletes what "
          "it wrote",
          "[pg][symbols]") {
  migrated m;
  pg::exclude_symbols(m.c, {"AAPL"});
  // A local-mode writer mid-commit, as the sink does it: the fence shared, rows not committed.
  pg::connection writer{m.db.dsn()};
  writer.exec("BEGIN");
  writer.exec("SELECT pg_advisory_xact_lock_shared(hashtextextended('finstream.purge', 0))");
  writer.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES "
              "('AAPL', '2024-03-01', 1), ('AAPL', '2024-03-04', 2)");
  std::atomic<bool> done{false};
  pg::purge_result result;
  std::thread purge([&] {
    pg::connection c{m.db.dsn()};
    result = pg::purge_symbols(c, {"AAPL"});
    done = true;
  });
  pg::connection watcher{m.db.dsn()};
  CHECK(wait_for_lock(watcher, "finstream.purge", done));
  CHECK_FALSE(done.load());
  writer.exec("COMMIT");
  purge.join();
  CHECK(result.rows == 2);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
}
