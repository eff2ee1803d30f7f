// End-to-end test of adopting the original system's database: its exact tables and rows (MACD
// columns holding its RSI, symbol_state.last_date meaning "planned"), `finstream migrate --plan`,
// `finstream migrate`, then `finstream local`: the table equals `finstream indicators` on the same
// bars and a fresh run on them, bit for bit.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>

#include "harness.hpp"
#include "pg/dsn.hpp"
#include "support/env.hpp"
#include "support/original_schema.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

/// A new database with nothing in it (test_database migrates; the original's has no finstream
/// schema). Dropped at the end.
class empty_database {
public:
  empty_database()
      : name_(test::unique_name("fs_adopt"))
      , admin_(test::pg_dsn()) {
    pg::connection{admin_}.exec("CREATE DATABASE " + name_);
    dsn_ = pg::dsn_with(admin_, {{"dbname", name_}});
  }
  ~empty_database() {
    try {
      pg::connection{admin_}.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
    }
  }
  const std::string& dsn() const { return dsn_; }

private:
  std::string name_, admin_, dsn_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Stores the bars of a `finstream fetch` CSV as the original's processors did (row by row, FLOAT
/// numbers, its "RSI" copied into the MACD columns), except the dates `skip` rejects. The values
/// stay as the CSV spells them, so the stored bars are the fetched ones bit for bit.
std::size_t store_as_original(pg::connection& c, const std::string& csv,
                              const std::function<bool(const std::string&)>& skip) {
  std::ifstream in{csv};
  std::string line;
  REQUIRE(std::getline(in, line));
  REQUIRE(line == "symbol,date,open,high,low,close,adj_close,volume");
  std::size_t n = 0;
  while (std::getline(in, line)) {
    auto f = split_csv(line);
    REQUIRE(f.size() == 8);
    if (skip(f[1])) continue;
    // Not TA-Lib's RSI: the original computed its own (pandas-ta), NaN while warming up.
    const double rsi = n < 14 ? std::nan("") : 40.0 + static_cast<double>(n % 25);
    c.query(test::original::insert_row, f[0], f[1], f[2], f[3], f[4], f[5], f[7], rsi);
    ++n;
  }
  return n;
}

} // namespace

TEST_CASE("adopt: the original system's database, migrated then run, equals a fresh run on the "
          "same bars",
          "[e2e][adopt]") {
  scratch_area area{"adopt"};
  const auto dir = area.path();
  const std::string from = "2019-01-01", to = "2020-06-30";
  const std::vector<std::string> symbols = {"ADA", "ADB", "ADC", "ADD"};
  const auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);

  // The original's database: ADA stored to the end, ADB to 2019-12-31, ADC without Jul-Aug 2019
  // (months the original failed to store), ADD nothing; symbol_state says all were planned to the
  // end.
  empty_database db;
  pg::connection c{db.dsn()};
  c.exec(test::original::technical_indicators_ddl);
  c.exec(test::original::symbol_state_ddl);
  store_as_original(c, csvs.at("ADA"), [](const std::string&) { return false; });
  store_as_original(c, csvs.at("ADB"), [](const std::string& d) { return d > "2019-12-31"; });
  store_as_original(c, csvs.at("ADC"), [](const std::string& d) {
    return d >= "2019-07-01" && d <= "2019-08-31";
  });
  for (const auto& s : symbols)
    c.query(test::original::upsert_state, s, to);
  const auto macd_is_rsi = "SELECT count(*) FROM technical_indicators WHERE rsi <> 'NaN' AND macd "
                           "= rsi AND macd_signal = rsi AND macd_hist = rsi";
  REQUIRE(std::stoll(c.exec(macd_is_rsi).str(0, 0)) > 0);

  const std::vector<std::string> local = {
      "local",          "--pg",        db.dsn(), "--symbols", "ADA,ADB,ADC,ADD", "--from", from,
      "--to",           to,            "--exit-when-idle", "--metrics-port", "-1",
      "--ui-port",      "-1"};
  {
    // Before adoption every other command refuses the database, saying how to adopt it.
    auto [code, out] = run_to_end(local, dir + "/refused.log", 120s);
    INFO(out);
    CHECK(code != 0);
    CHECK(contains(out, "finstream migrate --plan"));
  }
  {
    auto [code, out] = run_to_end({"migrate", "--plan", "--pg", db.dsn()}, dir + "/plan.log");
    INFO(out);
    REQUIRE(code == 0);
    CHECK(contains(out, "adopt the original system's tables"));
    CHECK(contains(out, "ADB: planned through 2020-06-30, rows through 2019-12-31"));
    CHECK(contains(out, "ADC: rows to 2019-06-28"));
    CHECK(contains(out, "have no stored row: pending (ADD)"));
    CHECK(contains(out, "rows hold a MACD equal to their RSI"));
    CHECK(contains(out, "nothing changed (--plan)"));
    CHECK(c.exec("SELECT to_regclass('schema_migrations') IS NULL").str(0, 0) == "t");
  }
  {
    auto [code, out] = run_to_end({"migrate", "--pg", db.dsn()}, dir + "/migrate.log");
    INFO(out);
    REQUIRE(code == 0);
    CHECK(contains(out, "adopted the original system's tables"));
  }
  {
    auto [code, out] = run_to_end(local, dir + "/local.log", 300s);
    INFO(out);
    REQUIRE(code == 0);
  }
  // Every row, including the original's, is what `finstream indicators` computes from the bars.
  // The original system stored no adjusted close: its adopted rows keep adj_close NULL, and only
  // the sessions finstream fetched itself have one.
  require_table_equals_indicators(db.dsn(), csvs, dir, {}, /*adj_close=*/false);
  CHECK(std::stoll(c.exec("SELECT count(*) FROM technical_indicators WHERE adj_close IS NOT NULL")
                       .str(0, 0)) > 0);
  CHECK(c.exec(macd_is_rsi).str(0, 0) == "0");
  CHECK(c.exec("SELECT count(*) FROM processor_symbol_state WHERE algo_version = 0").str(0, 0) ==
        "0");
  CHECK(c.exec("SELECT count(*) FROM backfill_requests WHERE taken_at IS NULL").str(0, 0) == "0");
  CHECK(c.exec("SELECT string_agg(symbol || ' ' || first_date || ' ' || last_date, ',' ORDER BY "
               "symbol) FROM symbol_state")
            .str(0, 0) == "ADA " + from + " " + to + ",ADB " + from + " " + to + ",ADC " + from +
                              " " + to + ",ADD " + from + " " + to);

  // A fresh run on the same bars gives the same table, bit for bit.
  test_database fresh{"fs_adopt_fresh"};
  auto fresh_args = local;
  fresh_args[2] = fresh.dsn();
  {
    auto [code, out] = run_to_end(fresh_args, dir + "/fresh.log", 300s);
    INFO(out);
    REQUIRE(code == 0);
  }
  const auto adopted = read_table(db.dsn());
  const auto reference = read_table(fresh.dsn());
  REQUIRE(adopted.size() == reference.size());
  for (const auto& [key, row] : reference) {
    INFO(key.first << " " << key.second);
    auto it = adopted.find(key);
    REQUIRE(it != adopted.end());
    REQUIRE(it->second.size() == row.size());
    for (std::size_t j = 0; j < row.size(); ++j) {
      INFO("column " << j);
      REQUIRE(same(it->second[j], row[j]));
    }
  }
}
