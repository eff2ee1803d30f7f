// Integration tests of the sink against the real PostgreSQL: exact values in both COPY formats,
// idempotence, duplicates inside a batch, fencing by epoch and by offset, NaN/inf never written,
// task completions, and every row exactly once across lost connections and a server restart.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <thread>

#include "metrics/metrics.hpp"
#include "pg/manager_store.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_fixtures.hpp"
#include "pg/processor_store.hpp"
#include "pg/sink.hpp"

using namespace finstream;
using test::count;
using test::make_row;
using test::scalar;

namespace {

const std::string group = "processors";
const std::string topic = "stock_data_topic";

pg::sink_options opts(pg::copy_format f = pg::copy_format::binary) {
  pg::sink_options o;
  o.format = f;
  o.enable_metrics = false;
  return o;
}

// Every column of every row, in key order, as the server prints it.
std::string dump(pg::connection& c) {
  return scalar(c, "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY symbol, date), '') FROM "
                   "technical_indicators t");
}

// The row versions (xmin) of the table: unchanged when no row was rewritten.
std::string versions(pg::connection& c) {
  return scalar(c, "SELECT coalesce(string_agg(xmin::text, ',' ORDER BY symbol, date), '') FROM "
                   "technical_indicators");
}

// The stored values of one row, in indicator_row order (NULL → NaN).
std::vector<double> stored(pg::connection& c, const std::string& symbol, day_t date) {
  std::string cols = "open, high, low, close, adj_close, volume";
  for (const char* name : indicator_columns)
    cols += std::string{", "} + name;
  auto r = c.query("SELECT " + cols + " FROM technical_indicators WHERE symbol = $1 AND date = $2",
                   symbol, format_date(date));
  REQUIRE(r.rows() == 1);
  std::vector<double> out;
  for (int i = 0; i < r.columns(); ++i)
    out.push_back(r.float8(0, i));
  return out;
}

std::vector<double> expected(const indicator_row& row) {
  std::vector<double> out = {row.b.open,  row.b.high,      row.b.low,
                             row.b.close, row.b.adj_close, static_cast<double>(row.b.volume)};
  for (double v : row.values)
    out.push_back(std::isfinite(v) ? v : std::nan(""));
  return out;
}

void check_same(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("column " << i);
    if (std::isnan(want[i]))
      CHECK(std::isnan(got[i]));
    else
      CHECK(got[i] == want[i]); // exact: both formats carry doubles without loss
  }
}

pg::batch make_batch(const std::vector<std::string>& symbols, day_t from, int days,
                     double salt = 0) {
  pg::batch b;
  for (const auto& s : symbols)
    for (int d = 0; d < days; ++d)
      b.rows.push_back(make_row(s, from + d, salt));
  return b;
}

struct migrated_db {
  test::scratch_db db;
  pg::connection c{db.dsn()};
  migrated_db() { pg::migrate(c); }
};

} // namespace

TEST_CASE("the sink stores every value exactly, in text and in binary COPY format", "[pg][sink]") {
  const auto format = GENERATE(pg::copy_format::text, pg::copy_format::binary);
  INFO("format " << pg::to_string(format));
  migrated_db m;
  pg::sink s{m.db.dsn(), opts(format)};
  auto b = make_batch({"AAPL", "BRK-B", "^GSPC"}, *parse_date("2023-12-28"), 5, 0.123456789);
  b.rows[3].b.open = 1e-300; // extreme but finite values survive both formats
  b.rows[3].values[4] = -1.7976931348623157e308;
  b.rows[4].b.volume = 9007199254740993; // beyond 2^53: bigint, not double
  const auto r = s.write(b);
  CHECK(r.status == pg::write_status::committed);
  CHECK(r.rows == 15);
  CHECK(r.rows_written == 15);
  CHECK(r.non_finite == 0);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 15);
  for (const auto& row : b.rows)
    check_same(stored(m.c, row.symbol, row.b.date), expected(row));
  CHECK(scalar(m.c, "SELECT volume FROM technical_indicators WHERE symbol = 'AAPL' AND date = "
                    "'2024-01-01'") == "9007199254740993");
}

TEST_CASE("writing the same batch twice leaves the tables unchanged", "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  pg::mark_planned(m.c, {{"AAPL", "task-1", *parse_date("2024-01-01"), *parse_date("2024-01-31")}});
  auto b = make_batch({"AAPL", "MSFT"}, *parse_date("2024-01-02"), 20);
  b.states.push_back({"AAPL", *parse_date("2024-01-21"), 3, std::string("\x00\x01state", 7)});
  b.completions.push_back({"AAPL", "task-1", *parse_date("2024-01-01"), *parse_date("2024-01-31"),
                           pg::task_status::done, "", false});
  REQUIRE(s.write(b).status == pg::write_status::committed);

  const auto rows_before = dump(m.c);
  const auto versions_before = versions(m.c);
  const auto states_before =
      scalar(m.c, "SELECT string_agg(p::text, ';') FROM processor_symbol_state p");
  const auto symbols_before = scalar(m.c, "SELECT string_agg(s::text, ';') FROM symbol_state s");

  const auto again = s.write(b);
  CHECK(again.status == pg::write_status::committed);
  CHECK(again.rows_written == 0);
  CHECK(dump(m.c) == rows_before);
  CHECK(versions(m.c) == versions_before); // not even rewritten with equal values
  CHECK(scalar(m.c, "SELECT string_agg(p::text, ';') FROM processor_symbol_state p") ==
        states_before);
  CHECK(scalar(m.c, "SELECT string_agg(s::text, ';') FROM symbol_state s") == symbols_before);
}

TEST_CASE("the later of two rows with the same key wins, inside a batch and over stored rows",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const day_t d = *parse_date("2024-03-01");
  pg::batch b;
  b.rows = {make_row("AAPL", d, 1), make_row("AAPL", d + 1, 1), make_row("AAPL", d, 2),
            make_row("MSFT", d, 1), make_row("AAPL", d, 3)};
  const auto r = s.write(b);
  REQUIRE(r.status == pg::write_status::committed);
  CHECK(r.rows == 5);
  CHECK(r.rows_written == 3); // distinct keys
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 3);
  check_same(stored(m.c, "AAPL", d), expected(make_row("AAPL", d, 3)));

  pg::batch update;
  update.rows = {make_row("AAPL", d, 4), make_row("AAPL", d, 5)};
  REQUIRE(s.write(update).rows_written == 1);
  check_same(stored(m.c, "AAPL", d), expected(make_row("AAPL", d, 5)));
  check_same(stored(m.c, "AAPL", d + 1), expected(make_row("AAPL", d + 1, 1)));
}

TEST_CASE("a batch whose offsets this epoch already committed is a duplicate and writes nothing",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const auto claim = pg::claim_partitions(s.conn(), group, topic, {0}).at(0);
  CHECK(claim.epoch == 1);
  CHECK_FALSE(claim.next_offset);
  auto b = make_batch({"AAPL"}, *parse_date("2024-01-02"), 3);
  b.offsets.push_back({group, topic, 0, claim.epoch, std::nullopt, 17});
  REQUIRE(s.write(b).status == pg::write_status::committed);
  const auto before = dump(m.c);

  // The same offsets again (e.g. a retry after the COMMIT's acknowledgement was lost), even with
  // other row values: nothing is written.
  auto replay = make_batch({"AAPL"}, *parse_date("2024-01-02"), 3, 99);
  replay.offsets = b.offsets;
  const auto r = s.write(replay);
  CHECK(r.status == pg::write_status::duplicate);
  CHECK(dump(m.c) == before);
  CHECK(scalar(m.c, "SELECT next_offset FROM processor_offsets") == "17");
}

TEST_CASE("fencing: a batch of a stale epoch loses and nothing of it is visible", "[pg][sink]") {
  migrated_db m;
  pg::sink old_owner{m.db.dsn(), opts()};
  pg::sink new_owner{m.db.dsn(), opts()};
  pg::mark_planned(m.c, {{"AAPL", "task-1", *parse_date("2024-01-01"), *parse_date("2024-01-31")}});
  const auto stale = pg::claim_partitions(old_owner.conn(), group, topic, {5, 6});
  const auto fresh = pg::claim_partitions(new_owner.conn(), group, topic, {5});
  CHECK(fresh.at(0).epoch == stale.at(0).epoch + 1);

  auto b = make_batch({"AAPL"}, *parse_date("2024-01-02"), 10);
  b.states.push_back({"AAPL", *parse_date("2024-01-11"), 1, "s"});
  b.completions.push_back({"AAPL", "task-1", *parse_date("2024-01-01"), *parse_date("2024-01-31"),
                           pg::task_status::done, "", false});
  b.offsets.push_back({group, topic, 6, stale.at(1).epoch, std::nullopt, 3});  // still owned
  b.offsets.push_back({group, topic, 5, stale.at(0).epoch, std::nullopt, 10}); // taken over
  const auto r = old_owner.write(b);
  CHECK(r.status == pg::write_status::fenced);
  CHECK(r.detail.find("/5") != std::string::npos);
  CHECK(old_owner.stats().fenced == 1);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM processor_symbol_state") == 0);
  CHECK(scalar(m.c, "SELECT status FROM symbol_state WHERE symbol = 'AAPL'") == "planned");
  CHECK(count(m.c, "SELECT count(*) FROM processor_offsets WHERE next_offset IS NOT NULL") == 0);

  auto mine = make_batch({"AAPL"}, *parse_date("2024-01-02"), 10);
  mine.offsets.push_back({group, topic, 5, fresh.at(0).epoch, std::nullopt, 10});
  CHECK(new_owner.write(mine).status == pg::write_status::committed);
  CHECK(scalar(m.c, "SELECT next_offset FROM processor_offsets WHERE partition = 5") == "10");
}

TEST_CASE("fencing: a batch expecting a stale offset loses and nothing of it is visible",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const auto c = pg::claim_partitions(s.conn(), group, topic, {2}).at(0);
  auto first = make_batch({"MSFT"}, *parse_date("2024-02-01"), 2);
  first.offsets.push_back({group, topic, 2, c.epoch, std::nullopt, 40});
  REQUIRE(s.write(first).status == pg::write_status::committed);
  const auto before = dump(m.c);

  auto stale = make_batch({"MSFT", "IBM"}, *parse_date("2024-02-01"), 4, 7);
  stale.offsets.push_back({group, topic, 2, c.epoch, 30, 50}); // the position moved on to 40
  const auto r = s.write(stale);
  CHECK(r.status == pg::write_status::fenced);
  CHECK(dump(m.c) == before);
  CHECK(scalar(m.c, "SELECT next_offset FROM processor_offsets") == "40");

  stale.offsets[0].expected_prev = 40;
  CHECK(s.write(stale).status == pg::write_status::committed);
  CHECK(scalar(m.c, "SELECT next_offset FROM processor_offsets") == "50");
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 8);
}

TEST_CASE("NaN and infinities are never written: NULL, and counted", "[pg][sink]") {
  const auto format = GENERATE(pg::copy_format::text, pg::copy_format::binary);
  migrated_db m;
  pg::sink s{m.db.dsn(), opts(format)};
  const double inf = std::numeric_limits<double>::infinity();
  auto b = make_batch({"AAPL"}, *parse_date("2024-01-02"), 3);
  b.rows[0].values[0] = std::nan("");
  b.rows[0].values[1] = inf;
  b.rows[1].values[18] = -inf;
  b.rows[2].b.close = inf;
  b.rows[2].b.adj_close = std::nan("");
  const auto r = s.write(b);
  REQUIRE(r.status == pg::write_status::committed);
  CHECK(r.non_finite == 5);
  CHECK(s.stats().non_finite == 5);
  std::string bad = "false", nulls = "0";
  for (const char* col : {"open", "high", "low", "close", "adj_close"}) {
    bad += std::string{" OR "} + col + " IN ('NaN', 'Infinity', '-Infinity')";
    nulls += std::string{" + ("} + col + " IS NULL)::int";
  }
  for (const char* col : indicator_columns) {
    bad += std::string{" OR "} + col + " IN ('NaN', 'Infinity', '-Infinity')";
    nulls += std::string{" + ("} + col + " IS NULL)::int";
  }
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE " + bad) == 0);
  CHECK(count(m.c, "SELECT sum(" + nulls + ") FROM technical_indicators") == 5);
  CHECK(scalar(m.c, "SELECT close IS NULL FROM technical_indicators WHERE date = '2024-01-04'") ==
        "t");
}

TEST_CASE("rows, states and completions with invalid symbols are refused before any SQL",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  auto b = make_batch({"AAPL"}, *parse_date("2024-01-02"), 2);
  b.rows.push_back(make_row("x'); DROP TABLE technical_indicators; --", *parse_date("2024-01-02")));
  CHECK_THROWS_AS(s.write(b), std::invalid_argument);
  pg::batch st;
  st.states.push_back({"bad symbol", 0, 1, "x"});
  CHECK_THROWS_AS(s.write(st), std::invalid_argument);
  pg::batch tc;
  tc.completions.push_back({"", "t", 0, 0, pg::task_status::done, "", false});
  CHECK_THROWS_AS(s.write(tc), std::invalid_argument);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM processor_symbol_state") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM symbol_state") == 0);
}

TEST_CASE("processor states round-trip as bytes, the last state of a symbol wins", "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes += static_cast<char>(i);
  pg::batch b;
  b.states.push_back({"AAPL", *parse_date("2024-01-05"), 2, "old"});
  b.states.push_back({"MSFT", *parse_date("2024-01-04"), 2, ""});
  b.states.push_back({"AAPL", *parse_date("2024-01-06"), 3, all_bytes});
  REQUIRE(s.write(b).status == pg::write_status::committed);
  auto loaded = pg::load_symbol_state(s.conn(), {"AAPL", "MSFT", "IBM"});
  std::map<std::string, pg::symbol_state_update> by;
  for (auto& st : loaded)
    by[st.symbol] = st;
  REQUIRE(by.size() == 2);
  CHECK(by["AAPL"].state == all_bytes);
  CHECK(by["AAPL"].algo_version == 3);
  CHECK(by["AAPL"].last_date == *parse_date("2024-01-06"));
  CHECK(by["MSFT"].state.empty());
}

TEST_CASE("task completions update symbol_state once, and only for the outstanding task",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const day_t jan1 = *parse_date("2024-01-01"), jan31 = *parse_date("2024-01-31");
  const day_t feb29 = *parse_date("2024-02-29");
  pg::mark_planned(m.c, {{"AAPL", "t1", jan1, jan31}, {"MSFT", "t2", jan1, jan31}});

  pg::batch failed;
  failed.completions.push_back(
      {"MSFT", "t2", jan1, jan31, pg::task_status::failed, "HTTP 500", false});
  REQUIRE(s.write(failed).status == pg::write_status::committed);
  REQUIRE(s.write(failed).status == pg::write_status::committed); // repeated: no second attempt
  auto st = pg::read_symbol_states(m.c, {"MSFT"}).at(0);
  CHECK(st.status == "failed");
  CHECK(st.attempts == 1);
  CHECK(st.last_error == "HTTP 500");
  CHECK_FALSE(st.last_date);

  pg::batch done;
  done.completions.push_back({"AAPL", "t1", jan1, jan31, pg::task_status::done, "", false});
  done.completions.push_back(
      {"AAPL", "t1", jan1, jan31, pg::task_status::done, "", false}); // twice in one batch
  REQUIRE(s.write(done).status == pg::write_status::committed);
  st = pg::read_symbol_states(m.c, {"AAPL"}).at(0);
  CHECK(st.status == "done");
  CHECK(st.first_date == jan1);
  CHECK(st.last_date == jan31);
  CHECK(st.attempts == 0);

  // A completion of a task that is no longer outstanding does not change the status; a done one
  // still records how far data was stored.
  pg::mark_planned(m.c, {{"AAPL", "t3", jan31 + 1, feb29}});
  pg::batch late;
  late.completions.push_back(
      {"AAPL", "t1", jan1, jan31, pg::task_status::failed, "late failure", false});
  REQUIRE(s.write(late).status == pg::write_status::committed);
  st = pg::read_symbol_states(m.c, {"AAPL"}).at(0);
  CHECK(st.status == "planned");
  CHECK(st.task_id == "t3");
  CHECK(st.last_error.empty());

  pg::batch permanent;
  permanent.completions.push_back(
      {"AAPL", "t3", jan31 + 1, feb29, pg::task_status::failed, "unknown symbol", true});
  REQUIRE(s.write(permanent).status == pg::write_status::committed);
  st = pg::read_symbol_states(m.c, {"AAPL"}).at(0);
  CHECK(st.status == "failed");
  CHECK(st.permanent);
  CHECK(st.last_date == jan31);

  // A done backfill of an earlier range widens the covered range backwards only.
  pg::mark_planned(m.c, {{"AAPL", "t4", jan1 - 365, jan1 + 9}});
  pg::batch backfill;
  backfill.completions.push_back(
      {"AAPL", "t4", jan1 - 365, jan1 + 9, pg::task_status::done, "", false});
  REQUIRE(s.write(backfill).status == pg::write_status::committed);
  st = pg::read_symbol_states(m.c, {"AAPL"}).at(0);
  CHECK(st.status == "done");
  CHECK(st.first_date == jan1 - 365);
  CHECK(st.last_date == jan31);
}

TEST_CASE("a connection lost between batches is re-established and the batch written once",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  REQUIRE(s.write(make_batch({"AAPL"}, *parse_date("2024-01-02"), 5)).status ==
          pg::write_status::committed);
  const int pid = s.conn().backend_pid();
  REQUIRE(pid > 0);
  CHECK(scalar(m.c, "SELECT pg_terminate_backend(" + std::to_string(pid) + ")") == "t");

  const auto r = s.write(make_batch({"AAPL"}, *parse_date("2024-01-07"), 5));
  CHECK(r.status == pg::write_status::committed);
  CHECK(r.attempts == 2);
  CHECK(s.conn().reconnects() == 1);
  CHECK(s.conn().backend_pid() != pid);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators") == 10);
}

TEST_CASE("a server restart in the middle of a stream of batches: every row exactly once",
          "[pg][sink][restart]") {
  test::private_server server;
  {
    pg::connection c{server.dsn()};
    pg::migrate(c);
  }
  pg::sink_options o = opts();
  o.reconnect.give_up_after = std::chrono::seconds{60};
  pg::sink s{server.dsn(), o};
  const auto claim = pg::claim_partitions(s.conn(), group, topic, {0}).at(0);

  constexpr int batches = 150;
  constexpr int symbols_per_batch = 10;
  constexpr int days = 40;
  std::atomic<int> written{0};
  std::vector<pg::write_status> statuses;
  std::string error;
  std::thread writer([&] {
    try {
      std::optional<std::int64_t> prev;
      for (int i = 0; i < batches; ++i) {
        std::vector<std::string> syms;
        for (int k = 0; k < symbols_per_batch; ++k)
          syms.push_back("S" + std::to_string(i) + "X" + std::to_string(k));
        auto b = make_batch(syms, *parse_date("2020-01-01"), days, i);
        b.offsets.push_back({group, topic, 0, claim.epoch, prev, i + 1});
        statuses.push_back(s.write(b).status);
        prev = i + 1;
        ++written;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  while (written.load() < batches / 4 && error.empty())
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  server.restart(); // while the writer keeps writing
  const int at_restart = written.load();
  writer.join();
  REQUIRE(error.empty());
  CHECK(at_restart < batches); // the restart did fall in the middle of the stream
  CHECK(s.conn().reconnects() >= 1);
  CHECK(s.stats().retries >= 1);
  for (auto st : statuses) // a lost COMMIT acknowledgement shows as duplicate: written once
    CHECK(st != pg::write_status::fenced);

  pg::connection c{server.dsn()};
  CHECK(count(c, "SELECT count(*) FROM technical_indicators") ==
        std::int64_t{batches} * symbols_per_batch * days);
  CHECK(count(c, "SELECT count(DISTINCT (symbol, date)) FROM technical_indicators") ==
        std::int64_t{batches} * symbols_per_batch * days);
  CHECK(scalar(c, "SELECT next_offset FROM processor_offsets") == std::to_string(batches));
  // Values are those of an uninterrupted run: spot-check every batch.
  for (int i = 0; i < batches; i += 7) {
    const std::string sym = "S" + std::to_string(i) + "X3";
    const day_t d = *parse_date("2020-01-01") + 17;
    check_same(stored(c, sym, d), expected(make_row(sym, d, i)));
  }
}

TEST_CASE("the sink reports rows written, non-finite values, batches and latency as metrics",
          "[pg][sink]") {
  migrated_db m;
  metrics::registry reg;
  pg::sink_options o = opts();
  o.enable_metrics = true;
  o.metrics = &reg;
  pg::sink s{m.db.dsn(), o};
  auto b = make_batch({"AAPL", "MSFT"}, *parse_date("2024-01-02"), 6);
  b.rows[0].values[0] = std::nan("");
  REQUIRE(s.write(b).status == pg::write_status::committed);
  REQUIRE(s.write(b).rows_written == 0);
  const auto text = reg.render();
  INFO(text);
  CHECK(text.find("finstream_pg_rows_written_total 12") != std::string::npos);
  CHECK(text.find("finstream_pg_rows_received_total 24") != std::string::npos);
  CHECK(text.find("finstream_pg_non_finite_values_total 2") != std::string::npos);
  CHECK(text.find("finstream_pg_batches_total{result=\"committed\"} 2") != std::string::npos);
  CHECK(text.find("finstream_pg_commit_seconds_count 2") != std::string::npos);
  CHECK(text.find("finstream_pg_batch_rows_sum 24") != std::string::npos);
}

TEST_CASE("a throttled failure is recorded but uses none of the symbol's retry budget",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const day_t jan1 = *parse_date("2024-01-01"), jan31 = *parse_date("2024-01-31");
  pg::mark_planned(m.c, {{"MSFT", "t1", jan1, jan31}, {"IBM", "t2", jan1, jan31}});
  pg::batch b;
  b.completions.push_back(
      {"MSFT", "t1", jan1, jan31, pg::task_status::failed, "HTTP 429", false, true});
  b.completions.push_back({"IBM", "t2", jan1, jan31, pg::task_status::failed, "HTTP 403", false});
  REQUIRE(s.write(b).status == pg::write_status::committed);
  auto msft = pg::read_symbol_states(m.c, {"MSFT"}).at(0);
  CHECK(msft.status == "failed");
  CHECK(msft.last_error == "HTTP 429");
  CHECK(msft.attempts == 0);
  CHECK(pg::read_symbol_states(m.c, {"IBM"}).at(0).attempts == 1);
  // Planned again and throttled again: still no attempt used (the row existed this time).
  pg::mark_planned(m.c, {{"MSFT", "t3", jan1, jan31}});
  pg::batch again;
  again.completions.push_back(
      {"MSFT", "t3", jan1, jan31, pg::task_status::failed, "breaker open", false, true});
  REQUIRE(s.write(again).status == pg::write_status::committed);
  CHECK(pg::read_symbol_states(m.c, {"MSFT"}).at(0).attempts == 0);
}

TEST_CASE("append path: new days after the stored states are COPYed straight in, revisions and "
          "recomputes are staged, both paths store the same table",
          "[pg][sink]") {
  const auto format = GENERATE(pg::copy_format::text, pg::copy_format::binary);
  INFO("format " << pg::to_string(format));
  migrated_db fast, staged_db;
  pg::sink s{fast.db.dsn(), opts(format)};
  auto staged_opts = opts(format);
  staged_opts.append_path = false;
  pg::sink staged{staged_db.db.dsn(), staged_opts};
  const day_t d = *parse_date("2024-04-01");
  auto with_states = [](pg::batch b) {
    for (const auto& r : b.rows)
      b.states.push_back({r.symbol, r.b.date, 1, "st" + format_date(r.b.date)});
    return b;
  };
  struct step {
    pg::batch b;
    pg::row_path want;
  };
  std::vector<step> steps = {
      // Backfill, then two daily batches: every row after the stored last date.
      {with_states(make_batch({"AAPL", "MSFT"}, d, 20)), pg::row_path::append},
      {with_states(make_batch({"AAPL", "MSFT"}, d + 20, 1)), pg::row_path::append},
      // A new symbol joins a daily batch: still an append.
      {with_states(make_batch({"AAPL", "MSFT", "IBM"}, d + 21, 1)), pg::row_path::append},
      // A revision: MSFT restarts two sessions back (changed values), AAPL only appends.
      {with_states([&] {
         auto b = make_batch({"AAPL"}, d + 22, 1);
         auto rev = make_batch({"MSFT"}, d + 20, 3, 5);
         b.append(std::move(rev));
         return b;
       }()),
       pg::row_path::upsert},
      // A recompute from the first day (e.g. a split), every value changed.
      {with_states(make_batch({"AAPL"}, d, 23, 9)), pg::row_path::upsert},
      // Back to daily appends.
      {with_states(make_batch({"AAPL", "MSFT", "IBM"}, d + 23, 1)), pg::row_path::append},
  };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    INFO("step " << i);
    const auto r = s.write(steps[i].b);
    REQUIRE(r.status == pg::write_status::committed);
    CHECK(pg::to_string(r.path) == std::string{pg::to_string(steps[i].want)});
    const auto ref = staged.write(steps[i].b);
    REQUIRE(ref.status == pg::write_status::committed);
    CHECK(ref.path != pg::row_path::append);
    CHECK(r.rows_written == ref.rows_written);
    CHECK(dump(fast.c) == dump(staged_db.c));
  }
  CHECK(s.stats().appends == 4);
  CHECK(s.stats().upserts == 2);
  CHECK(staged.stats().appends == 0);
  check_same(stored(fast.c, "MSFT", d + 21), expected(make_row("MSFT", d + 21, 5)));
  check_same(stored(fast.c, "AAPL", d), expected(make_row("AAPL", d, 9)));
  CHECK(count(fast.c, "SELECT count(*) FROM technical_indicators") == 24 + 24 + 2);
}

TEST_CASE("append path: a key stored by a writer outside the processors makes the COPY fail, the "
          "batch falls back to the upsert inside the same transaction",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const day_t d = *parse_date("2024-05-06");
  const auto claim = pg::claim_partitions(s.conn(), group, topic, {0}).at(0);
  pg::mark_planned(m.c, {{"MSFT", "task-1", d, d + 2}});
  // A row the processors' states know nothing of (e.g. a hand-loaded or adopted table).
  m.c.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES ('MSFT', '" +
           format_date(d + 1) + "', 1)");
  auto b = make_batch({"MSFT"}, d, 3);
  b.states.push_back({"MSFT", d + 2, 1, "s"});
  b.completions.push_back({"MSFT", "task-1", d, d + 2, pg::task_status::done, "", false});
  b.offsets.push_back({group, topic, 0, claim.epoch, std::nullopt, 7});
  const auto r = s.write(b);
  REQUIRE(r.status == pg::write_status::committed);
  CHECK(r.path == pg::row_path::upsert);
  CHECK(r.rows_written == 3);
  CHECK(r.attempts == 1);
  for (int i = 0; i < 3; ++i)
    check_same(stored(m.c, "MSFT", d + i), expected(make_row("MSFT", d + i)));
  // Everything else of the transaction committed once.
  CHECK(scalar(m.c, "SELECT next_offset FROM processor_offsets") == "7");
  CHECK(scalar(m.c, "SELECT last_date FROM processor_symbol_state") == format_date(d + 2));
  CHECK(scalar(m.c, "SELECT status || ' ' || last_date FROM symbol_state") ==
        "done " + format_date(d + 2));
  // The next day appends again.
  auto next = make_batch({"MSFT"}, d + 3, 1);
  next.offsets.push_back({group, topic, 0, claim.epoch, std::int64_t{7}, 8});
  CHECK(s.write(next).path == pg::row_path::append);
}

TEST_CASE("append path: a purged symbol's rows are never appended, the others' are written",
          "[pg][sink]") {
  migrated_db m;
  pg::sink s{m.db.dsn(), opts()};
  const day_t d = *parse_date("2024-06-03");
  m.c.exec("INSERT INTO symbol_exclusions (symbol, purged_at) VALUES ('AAPL', now())");
  const auto r = s.write(make_batch({"AAPL", "NVDA"}, d, 2));
  REQUIRE(r.status == pg::write_status::committed);
  CHECK(r.path != pg::row_path::append);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(count(m.c, "SELECT count(*) FROM technical_indicators WHERE symbol = 'NVDA'") == 2);
  // Excluded but not purged: written (the manager stops planning it; stored rows stay).
  m.c.exec("UPDATE symbol_exclusions SET purged_at = NULL");
  CHECK(s.write(make_batch({"AAPL"}, d, 2)).path == pg::row_path::append);
}
