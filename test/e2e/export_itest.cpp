// `finstream export` on a local backfill: every value equals `finstream indicators` on the same
// bars; sub-ranges, chosen outputs and standard output; outputs that are not stored are refused.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/indicator_row.hpp"
#include "harness.hpp"
#include "support/run_binary.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

struct csv_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

csv_table parse_csv(const std::string& text) {
  csv_table t;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    auto cells = split_csv(line);
    if (t.header.empty()) {
      t.header = cells;
    } else {
      REQUIRE(cells.size() == t.header.size());
      t.rows.push_back(std::move(cells));
    }
  }
  return t;
}

} // namespace

TEST_CASE("export: every stored value parses to the same double as `finstream indicators` on the "
          "same bars",
          "[e2e][export]") {
  test_database db{"export"};
  scratch_area area{"export"};
  const auto dir = area.path();
  const std::vector<std::string> symbols{"EXA", "EXB", "EXC"};
  auto [code, log] = run_to_end({"local", "--pg", db.dsn(), "--symbols", "EXA,EXB,EXC", "--from",
                                 "2018-01-01", "--to", "2020-12-31", "--exit-when-idle",
                                 "--metrics-port", "-1", "--ui-port", "-1"},
                                dir + "/local.log", 180s);
  INFO(log);
  REQUIRE(code == 0);

  const auto file = dir + "/all.csv";
  auto full = test::run_binary("export", {"--pg", db.dsn(), "--symbols", "EXA,EXB,EXC", "--from",
                                          "2018-01-01", "--to", "2020-12-31", "--output", file});
  INFO(full.err);
  REQUIRE(full.code == 0);
  auto table = parse_csv(test::slurp(file));
  REQUIRE(table.rows.size() ==
          static_cast<std::size_t>(db.scalar("SELECT count(*) FROM technical_indicators")));
  CHECK(full.err.find(std::to_string(table.rows.size()) + " row(s) written") != std::string::npos);

  // Per symbol: the exported bars through `finstream indicators`, cell by cell.
  std::map<std::string, std::vector<const std::vector<std::string>*>> by_symbol;
  for (const auto& row : table.rows)
    by_symbol[row[0]].push_back(&row);
  REQUIRE(by_symbol.size() == symbols.size());
  std::size_t compared = 0;
  for (const auto& [symbol, rows] : by_symbol) {
    const auto bars = dir + "/" + symbol + ".bars.csv";
    const auto computed = dir + "/" + symbol + ".indicators.csv";
    {
      std::ofstream out{bars};
      out << "date,open,high,low,close,volume\n";
      for (const auto* r : rows) // date, open..close, volume (adj_close skipped)
        out << (*r)[1] << ',' << (*r)[2] << ',' << (*r)[3] << ',' << (*r)[4] << ',' << (*r)[5]
            << ',' << (*r)[7] << '\n';
    }
    auto ind = test::run_binary("indicators", {"--input", bars, "--output", computed});
    INFO(ind.err);
    REQUIRE(ind.code == 0);
    auto expected = parse_csv(test::slurp(computed));
    // Same layout: symbol, then the indicators' columns with adj_close after close.
    std::vector<std::string> header{"symbol"};
    header.insert(header.end(), expected.header.begin(), expected.header.begin() + 5);
    header.push_back("adj_close");
    header.insert(header.end(), expected.header.begin() + 5, expected.header.end());
    REQUIRE(table.header == header);
    REQUIRE(expected.rows.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& got = *rows[i];
      const auto& want = expected.rows[i];
      REQUIRE(got[1] == want[0]); // date
      for (std::size_t j = 1; j < want.size(); ++j) {
        const auto& cell = got[j < 5 ? j + 1 : j + 2];
        INFO(symbol << " " << want[0] << " " << expected.header[j] << ": export '" << cell
                    << "', indicators '" << want[j] << "'");
        REQUIRE(same(to_double(cell), to_double(want[j])));
        ++compared;
      }
    }
  }
  CHECK(compared > 3 * 700 * 20);
  // adj_close is the stored one.
  auto conn = db.connect();
  auto adj = conn.exec("SELECT symbol, date::text, adj_close FROM technical_indicators "
                       "ORDER BY symbol, date");
  REQUIRE(adj.rows() == static_cast<int>(table.rows.size()));
  for (int i = 0; i < adj.rows(); ++i) {
    REQUIRE(table.rows[i][0] == adj.str(i, 0));
    REQUIRE(table.rows[i][1] == adj.str(i, 1));
    REQUIRE(same(to_double(table.rows[i][6]), adj.float8(i, 2)));
  }

  { // a sub-range and chosen outputs to standard output are the matching cells
    auto sub = test::run_binary("export", {"--pg", db.dsn(), "--symbols", "exb", "--from",
                                           "2019-03-01", "--to", "2019-06-30", "--indicators",
                                           "obv,rsi,macd(12,26,9)", "--output", "-"});
    INFO(sub.err);
    REQUIRE(sub.code == 0);
    auto part = parse_csv(sub.out);
    const std::vector<std::string> want_header{
        "symbol",           "date",   "open", "high",   "low",          "close",
        "adj_close",        "volume", "obv",  "rsi_14", "macd_12_26_9", "macd_signal_12_26_9",
        "macd_hist_12_26_9"};
    REQUIRE(part.header == want_header);
    std::vector<const std::vector<std::string>*> want;
    for (const auto& row : table.rows)
      if (row[0] == "EXB" && row[1] >= "2019-03-01" && row[1] <= "2019-06-30") want.push_back(&row);
    REQUIRE(!want.empty());
    REQUIRE(part.rows.size() == want.size());
    auto col = [&](const std::string& name) {
      return static_cast<std::size_t>(std::find(table.header.begin(), table.header.end(), name) -
                                      table.header.begin());
    };
    for (std::size_t i = 0; i < want.size(); ++i)
      for (std::size_t j = 0; j < want_header.size(); ++j)
        REQUIRE(part.rows[i][j] == (*want[i])[col(want_header[j])]);
  }

  { // outputs that are not stored, bad symbols and bad dates are refused with exit 2
    auto missing = test::run_binary("export", {"--pg", db.dsn(), "--indicators", "sma(50)"});
    CHECK(missing.code == 2);
    CHECK(missing.err.find("sma_50 is not stored") != std::string::npos);
    CHECK(missing.out.empty());
    auto bad = test::run_binary("export", {"--pg", db.dsn(), "--symbols", "EXA,x'y"});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("contains a character outside") != std::string::npos);
    auto dates = test::run_binary("export", {"--pg", db.dsn(), "--from", "2020-02-30"});
    CHECK(dates.code == 2);
  }
}

TEST_CASE("export: a large table streams through in flat memory", "[e2e][export]") {
  test_database db{"export_big"};
  scratch_area area{"export_big"};
  {
    auto c = db.connect();
    std::string cols = "symbol, date, open, high, low, close, adj_close, volume";
    std::string vals = "'S' || (i % 40), date '1990-01-01' + i / 40, 100 + i % 7, 101 + i % 7, "
                       "99 + i % 7, 100.5 + i % 7, 100.25 + i % 7, 1000000 + i";
    for (const char* col : indicator_columns) {
      cols += std::string{", "} + col;
      vals += ", sin(i::float8) * 1e3 / 7";
    }
    c.exec("INSERT INTO technical_indicators (" + cols + ") SELECT " + vals +
           " FROM generate_series(0, 299999) AS i");
  }
  // The peak resident set of one export, polled while it runs. AddressSanitizer's quarantine of
  // freed blocks would grow with the bytes passed through: it is turned off for these runs.
  auto peak_of = [&](const std::vector<std::string>& args, const std::string& name) {
    std::vector<std::pair<std::string, std::string>> env;
    const char* asan = std::getenv("ASAN_OPTIONS");
    env.emplace_back("ASAN_OPTIONS", std::string{asan ? asan : ""} + (asan && *asan ? ":" : "") +
                                         "quarantine_size_mb=0");
    process p{args, area.path() + "/" + name + ".log", env};
    long peak = 0;
    while (p.running()) {
      peak = std::max(peak, p.peak_rss_kib());
      std::this_thread::sleep_for(10ms);
    }
    INFO(p.log());
    REQUIRE(p.wait(1s) == 0);
    return std::make_pair(peak, p.log());
  };
  auto [small, small_log] = peak_of({"export", "--pg", db.dsn(), "--symbols", "S1", "--to",
                                     "1990-01-05", "--output", area.path() + "/small.csv"},
                                    "small");
  auto [big, big_log] =
      peak_of({"export", "--pg", db.dsn(), "--output", area.path() + "/big.csv"}, "big");
  CHECK(big_log.find("300000 row(s) written") != std::string::npos);
  const auto bytes = std::filesystem::file_size(area.path() + "/big.csv");
  INFO("peak RSS: small export " << small << " KiB, 300000 rows (" << bytes / 1024
                                 << " KiB of CSV) " << big << " KiB");
  REQUIRE(bytes > 100u * 1024 * 1024);
  CHECK(big - small < 24 * 1024);
}
