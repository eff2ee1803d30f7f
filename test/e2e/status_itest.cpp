// `finstream status` and `finstream symbols` (the built binary) against a database in a known
// state: counts by state, failed symbols with their errors, exclusions, the active manager, the
// JSON shape; retry, drop --purge and undrop as seen through status.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <simdjson.h>

#include "harness.hpp"
#include "pg/leader_lock.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

using namespace finstream;
using namespace finstream::e2e;

namespace {

// AAPL stored through 2024-01-05, MSFT through 2024-01-03, NVDA's first task outstanding, GONE
// failed for good, FLAKY failed twice transiently after storing 2024-01-02, NEW never planned.
void known_state(const test_database& db) {
  auto c = db.connect();
  c.exec("INSERT INTO technical_indicators (symbol, date, close) VALUES "
         "('AAPL', '2024-01-02', 1), ('AAPL', '2024-01-03', 2), ('AAPL', '2024-01-04', 3), "
         "('AAPL', '2024-01-05', 4), ('MSFT', '2024-01-02', 5), ('MSFT', '2024-01-03', 6), "
         "('FLAKY', '2024-01-02', 7)");
  c.exec("INSERT INTO symbol_state (symbol, first_date, last_date, status, planned_from, "
         "planned_to, task_id, last_error, permanent, attempts) VALUES "
         "('AAPL', '2024-01-02', '2024-01-05', 'done', '2024-01-02', '2024-01-05', 'a', NULL, "
         "false, 0), "
         "('MSFT', '2024-01-02', '2024-01-03', 'done', '2024-01-02', '2024-01-05', 'm', NULL, "
         "false, 0), "
         "('NVDA', NULL, NULL, 'planned', '2024-01-02', '2024-01-05', 'n', NULL, false, 0), "
         "('GONE', NULL, NULL, 'failed', '2024-01-02', '2024-01-05', 'g', "
         "'not found: Yahoo 404 \"No data found, symbol may be delisted\"', true, 1), "
         "('FLAKY', '2024-01-02', '2024-01-02', 'failed', '2024-01-03', '2024-01-05', 'f', "
         "'timeout after 15000 ms', false, 2)");
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& text) {
  return p.parse(text).value();
}

std::string str(simdjson::dom::element e) {
  return std::string{std::string_view{e.get_string()}};
}

const std::string universe = "AAPL,MSFT,NVDA,GONE,FLAKY,NEW,DROPPED";

test::run_result status(const test_database& db, const std::string& symbols, bool json = true) {
  std::vector<std::string> args{"--pg", db.dsn(), "--symbols", symbols, "--to", "2024-01-05"};
  if (json) args.push_back("--json");
  return test::run_binary("status", args);
}

} // namespace

TEST_CASE("status: counts, failures, exclusions and the manager of a known state, as JSON and "
          "text",
          "[e2e][status]") {
  test_database db{"e2e_status"};
  known_state(db);
  auto drop = test::run_binary("symbols", {"drop", "dropped", "--pg", db.dsn()});
  REQUIRE(drop.code == 0);
  CHECK(drop.out.find("1 symbol(s) newly excluded: DROPPED") != std::string::npos);

  auto r = status(db, universe);
  INFO(r.err << r.out);
  REQUIRE(r.code == 0);
  simdjson::dom::parser p;
  auto doc = parse(p, r.out);
  // Shape: exactly these top-level keys (no lag without --kafka).
  std::set<std::string> keys;
  for (auto field : doc.get_object())
    keys.insert(std::string{field.key});
  CHECK(keys == std::set<std::string>{"universe", "failed", "manager", "next_daily_run"});
  auto u = doc["universe"];
  CHECK(u["symbols"].get_uint64().value() == 6);
  CHECK(u["excluded"].get_array().value().size() == 1);
  CHECK(str(u["excluded"].at(0)) == "DROPPED");
  CHECK(u["by_state"]["done"].get_uint64().value() == 2);
  CHECK(u["by_state"]["planned"].get_uint64().value() == 1);
  CHECK(u["by_state"]["failed"].get_uint64().value() == 2);
  CHECK(u["by_state"]["pending"].get_uint64().value() == 1);
  CHECK(u["failed_permanent"].get_uint64().value() == 1);
  CHECK(str(u["last_stored"]) == "2024-01-05");
  CHECK(u["complete_through"].is_null()); // NVDA and NEW have nothing stored
  CHECK(u["days_behind"].is_null());
  CHECK(str(u["target"]) == "2024-01-05");
  CHECK(doc["next_daily_run"].is_null()); // --to fixes the target
  auto failed = doc["failed"].get_array().value();
  REQUIRE(failed.size() == 2);
  std::map<std::string, simdjson::dom::element> by_symbol;
  for (auto f : failed)
    by_symbol[str(f["symbol"])] = f;
  REQUIRE(by_symbol.count("GONE"));
  CHECK(by_symbol["GONE"]["permanent"].get_bool().value());
  CHECK(str(by_symbol["GONE"]["error"]).find("Yahoo 404 \"No data found") != std::string::npos);
  CHECK(by_symbol["FLAKY"]["attempts"].get_int64().value() == 2);
  CHECK_FALSE(by_symbol["FLAKY"]["permanent"].get_bool().value());
  CHECK_FALSE(doc["manager"]["active"].get_bool().value());

  // Completeness over a universe whose symbols all have data: MSFT holds it 2 days back; the
  // permanently failed GONE does not count.
  auto c2 = status(db, "AAPL,MSFT,GONE");
  REQUIRE(c2.code == 0);
  auto d2 = parse(p, c2.out);
  CHECK(str(d2["universe"]["complete_through"]) == "2024-01-03");
  CHECK(d2["universe"]["days_behind"].get_int64().value() == 2);

  // An active manager: the session holding the leader lock.
  {
    pg::leader_lock lock{db.dsn(), pg::manager_lock_name};
    REQUIRE(lock.try_acquire());
    auto a = status(db, universe);
    REQUIRE(a.code == 0);
    auto da = parse(p, a.out);
    CHECK(da["manager"]["active"].get_bool().value());
    CHECK(da["manager"]["pid"].get_int64().value() > 0);
    auto text = status(db, universe, false);
    CHECK(text.out.find("manager: active") != std::string::npos);
    CHECK(text.out.find("done 2, planned 1, pending 1, failed 2 (1 permanent)") !=
          std::string::npos);
    CHECK(text.out.find("GONE") != std::string::npos);
  }
  // The project's config file lists kafka.bootstrap like every option: that alone asks no broker.
  auto with_file = test::run_binary("status", {"--pg", db.dsn(), "--to", "2024-01-05", "--json",
                                               "--config",
                                               test::source_dir() + "/config/finstream.toml"});
  INFO(with_file.err);
  REQUIRE(with_file.code == 0);
  CHECK(with_file.out.find("\"lag\"") == std::string::npos);
  // Without a universe: every symbol the database knows.
  auto all = test::run_binary("status", {"--pg", db.dsn(), "--to", "2024-01-05", "--json"});
  REQUIRE(all.code == 0);
  CHECK(parse(p, all.out)["universe"]["symbols"].get_uint64().value() == 5);
}

TEST_CASE("symbols: retry, drop --purge and undrop act on the database and show in status",
          "[e2e][status]") {
  test_database db{"e2e_symbols"};
  known_state(db);
  simdjson::dom::parser p;

  auto retry = test::run_binary("symbols", {"retry", "GONE", "AAPL", "--pg", db.dsn()});
  INFO(retry.err);
  REQUIRE(retry.code == 0);
  CHECK(retry.out.find("1 of 2 symbol(s) were failed and will be planned again: GONE") !=
        std::string::npos);
  auto s1 = parse(p, status(db, universe).out);
  CHECK(s1["universe"]["by_state"]["failed"].get_uint64().value() == 1);
  CHECK(s1["universe"]["failed_permanent"].get_uint64().value() == 0);

  auto purge = test::run_binary("symbols", {"drop", "--purge", "AAPL", "--pg", db.dsn()});
  INFO(purge.err);
  REQUIRE(purge.code == 0);
  CHECK(purge.out.find("4 stored row(s) deleted") != std::string::npos);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators WHERE symbol = 'AAPL'") == 0);
  CHECK(db.scalar("SELECT count(*) FROM technical_indicators") == 3);
  auto s2 = parse(p, status(db, universe).out);
  CHECK(s2["universe"]["symbols"].get_uint64().value() == 6); // 7 listed, AAPL excluded
  CHECK(str(s2["universe"]["last_stored"]) == "2024-01-03");

  auto undrop = test::run_binary("symbols", {"undrop", "AAPL", "--pg", db.dsn()});
  REQUIRE(undrop.code == 0);
  auto s3 = parse(p, status(db, universe).out);
  CHECK(s3["universe"]["excluded"].get_array().value().size() == 0);
  // AAPL (purged), GONE (retried, nothing stored), NEW and DROPPED (never planned).
  CHECK(s3["universe"]["by_state"]["pending"].get_uint64().value() == 4);

  // Invalid symbols are refused before any SQL, with the usage exit code.
  auto bad = test::run_binary("symbols", {"drop", "A;B", "--pg", db.dsn()});
  CHECK(bad.code == 2);
  CHECK(db.scalar("SELECT count(*) FROM symbol_exclusions") == 0);
}
