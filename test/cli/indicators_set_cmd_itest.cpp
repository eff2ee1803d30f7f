// Integration tests of `finstream indicators-set` and of `migrate --indicators` (the built binary
// against the real PostgreSQL): the stored set and its columns, add/remove/list, refusals.
#include <catch2/catch.hpp>

#include "pg/connection.hpp"
#include "pg/dsn.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

using namespace finstream;

namespace {

// A fresh database for one test, dropped at the end.
struct database {
  std::string admin = test::pg_dsn();
  std::string name = test::unique_name("fs_iset_cli");
  std::string dsn;
  database() {
    pg::connection c{admin};
    c.exec("CREATE DATABASE " + pg::quote_identifier(c, name));
    dsn = pg::dsn_with(admin, {{"dbname", name}});
  }
  ~database() {
    try {
      pg::connection c{admin};
      c.exec("DROP DATABASE IF EXISTS " + pg::quote_identifier(c, name) + " WITH (FORCE)");
    } catch (...) {
    }
  }
  bool has_column(const std::string& col) const {
    pg::connection c{dsn};
    return c.query("SELECT count(*) FROM pg_attribute WHERE attrelid = "
                   "'technical_indicators'::regclass AND attname = $1 AND NOT attisdropped",
                   col)
               .int64(0, 0) == 1;
  }
};

} // namespace

TEST_CASE("migrate stores the default set on a new database, then indicators-set adds, lists and "
          "removes indicators",
          "[cli]") {
  database db;
  auto m = test::run_binary("migrate", {"--pg", db.dsn});
  INFO(m.out << m.err);
  REQUIRE(m.code == 0);
  CHECK(m.out.find("indicator set version 1: rsi(14),macd(12,26,9),sma(20)") != std::string::npos);

  auto add = test::run_binary("indicators-set", {"add", "sma(200)", "RSI(7)", "--pg", db.dsn});
  INFO(add.out << add.err);
  REQUIRE(add.code == 0);
  CHECK(add.out.find("version 2") != std::string::npos);
  CHECK(add.out.find("columns added: sma_200, rsi_7") != std::string::npos);
  CHECK(db.has_column("sma_200"));
  CHECK(db.has_column("rsi_7"));

  auto list = test::run_binary("indicators-set", {"list", "--pg", db.dsn});
  REQUIRE(list.code == 0);
  CHECK(list.out.find("version 2: ") != std::string::npos);
  CHECK(list.out.find("sma(200)") != std::string::npos);
  CHECK(list.out.find("bb_upper, bb_middle, bb_lower") != std::string::npos);
  CHECK(list.out.find("symbols left to fill: 0") != std::string::npos);

  auto remove = test::run_binary("indicators-set", {"remove", "sma(200)", "--pg", db.dsn});
  INFO(remove.out << remove.err);
  REQUIRE(remove.code == 0);
  CHECK(remove.out.find("version 3") != std::string::npos);
  CHECK(db.has_column("sma_200")); // the column stays until the user drops it
  // Running migrate again without a configured set leaves the stored one alone.
  auto again = test::run_binary("migrate", {"--pg", db.dsn});
  REQUIRE(again.code == 0);
  auto after = test::run_binary("indicators-set", {"list", "--pg", db.dsn});
  CHECK(after.out.find("version 3: ") != std::string::npos);
  CHECK(after.out.find("sma(200)") == std::string::npos);
}

TEST_CASE("indicators-set refuses unknown indicators, fractional parameters, removing what is not "
          "there and an empty set, with exit 2 and no change",
          "[cli]") {
  database db;
  REQUIRE(test::run_binary("migrate", {"--pg", db.dsn, "--indicators", "rsi(14)"}).code == 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"add", "nosuch(3)"},
           {"add", "bbands(20,2.5)"},
           {"remove", "sma(50)"},
           {"remove", "rsi(14)"},
       }) {
    auto a = args;
    a.insert(a.end(), {"--pg", db.dsn});
    auto r = test::run_binary("indicators-set", a);
    INFO(args[0] << " " << args[1] << ": " << r.err);
    CHECK(r.code == 2);
    CHECK_FALSE(r.err.empty());
  }
  auto list = test::run_binary("indicators-set", {"list", "--pg", db.dsn});
  CHECK(list.out.find("version 1: rsi(14)\n") != std::string::npos);
  CHECK_FALSE(db.has_column("bb_upper_20_2.5"));
}
