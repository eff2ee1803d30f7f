// Fixtures for the PostgreSQL integration tests (see pg_fixtures.hpp).
#include "pg/pg_fixtures.hpp"

#include <stdexcept>

#include <catch2/catch.hpp>

#include "pg/dsn.hpp"
#include "support/env.hpp"

namespace finstream::test {

scratch_db::scratch_db(const std::string& prefix)
    : admin_dsn_(pg_dsn())
    , name_(unique_name(prefix)) {
  pg::connection admin{admin_dsn_};
  admin.exec("CREATE DATABASE " + pg::quote_identifier(admin, name_));
  dsn_ = pg::dsn_with(admin_dsn_, {{"dbname", name_}});
}

scratch_db::~scratch_db() {
  try {
    pg::connection admin{admin_dsn_};
    admin.exec("DROP DATABASE IF EXISTS " + pg::quote_identifier(admin, name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    WARN("cannot drop scratch database " << name_ << ": " << e.what());
  }
}

indicator_row make_row(const std::string& symbol, day_t date, double salt) {
  indicator_row r;
  r.symbol = symbol;
  r.b.date = date;
  const double base = 10.0 + (date % 1000) * 0.37 + salt;
  r.b.open = base;
  r.b.high = base * 1.0125;
  r.b.low = base * 0.9875;
  r.b.close = base + 0.1;
  r.b.adj_close = (base + 0.1) * 0.98;
  r.b.volume = 1000000 + date % 5000 + static_cast<std::int64_t>(salt * 7);
  r.values.resize(indicator_column_count);
  for (std::size_t i = 0; i < r.values.size(); ++i)
    r.values[i] = base / (static_cast<double>(i) + 1.3) + salt * 0.001;
  return r;
}

std::string scalar(pg::connection& c, const std::string& sql) {
  auto r = c.exec(sql);
  if (r.rows() != 1 || r.columns() != 1)
    throw std::runtime_error("scalar(): query returned " + std::to_string(r.rows()) + " rows");
  return r.str(0, 0);
}

std::int64_t count(pg::connection& c, const std::string& sql) {
  return std::stoll(scalar(c, sql));
}

} // namespace finstream::test
