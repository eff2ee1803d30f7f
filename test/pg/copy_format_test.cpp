// Unit tests of the COPY encoders: PostgreSQL's text and binary formats, NULL for non-finite
// values.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "pg/copy_format.hpp"

using namespace finstream;

namespace {

const std::vector<std::string> cols_ = default_indicator_columns();

indicator_row sample_row() {
  indicator_row r;
  r.symbol = "BRK-B";
  r.b.date = *parse_date("2024-01-02");
  r.b.open = 1.5;
  r.b.high = 2.25;
  r.b.low = 0.1;
  r.b.close = 2;
  r.b.adj_close = 1.9375;
  r.b.volume = 123456789012;
  r.values.assign(indicator_column_count, std::nan(""));
  r.values[0] = 55.5;                                    // rsi
  r.values[1] = -0.125;                                  // macd
  r.values[2] = std::numeric_limits<double>::infinity(); // macd_signal: not writable
  return r;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return __builtin_bswap32(v);
}

} // namespace

TEST_CASE("the column list follows the table: bar columns then indicator_columns", "[pg][copy]") {
  const auto cols = pg::indicator_table_columns();
  CHECK(cols.rfind("symbol, date, open, high, low, close, adj_close, volume, rsi, macd,", 0) == 0);
  CHECK(cols.substr(cols.size() - 5) == ", mfi");
}

TEST_CASE("text COPY: tab-separated, NULL marker for NaN and infinities, shortest exact numbers",
          "[pg][copy]") {
  auto enc = pg::encode_rows({sample_row()}, cols_, pg::copy_format::text, /*with_seq=*/true);
  std::string expected =
      "0\tBRK-B\t2024-01-02\t1.5\t2.25\t0.1\t2\t1.9375\t123456789012\t55.5\t-0.125";
  for (std::size_t i = 2; i < indicator_column_count; ++i)
    expected += "\t\\N";
  expected += "\n";
  CHECK(enc.data == expected);
  CHECK(enc.rows == 1);
  CHECK(enc.non_finite == indicator_column_count - 2);
}

TEST_CASE("binary COPY: signature, field count, date epoch 2000, NULL as length -1", "[pg][copy]") {
  auto row = sample_row();
  row.b.date = *parse_date("2000-01-01");
  row.b.open = std::nan("");
  auto enc = pg::encode_rows({row}, cols_, pg::copy_format::binary, /*with_seq=*/false);
  REQUIRE(enc.data.size() > 19);
  CHECK(std::memcmp(enc.data.data(), "PGCOPY\n\377\r\n\0", 11) == 0);
  CHECK(be32(enc.data, 11) == 0); // flags
  CHECK(be32(enc.data, 15) == 0); // header extension
  std::size_t at = 19;
  const auto fields = (static_cast<unsigned char>(enc.data[at]) << 8) |
                      static_cast<unsigned char>(enc.data[at + 1]);
  CHECK(fields == 8 + static_cast<int>(indicator_column_count));
  at += 2;
  CHECK(be32(enc.data, at) == 5); // "BRK-B"
  CHECK(enc.data.substr(at + 4, 5) == "BRK-B");
  at += 9;
  CHECK(be32(enc.data, at) == 4); // date
  CHECK(be32(enc.data, at + 4) == 0);
  at += 8;
  CHECK(be32(enc.data, at) == 0xFFFFFFFFu); // open = NaN → NULL
  at += 4;
  CHECK(be32(enc.data, at) == 8); // high
  std::uint64_t bits;
  std::memcpy(&bits, enc.data.data() + at + 4, 8);
  bits = __builtin_bswap64(bits);
  double high;
  std::memcpy(&high, &bits, 8);
  CHECK(high == 2.25);
  CHECK(enc.data.substr(enc.data.size() - 2) == std::string("\xff\xff", 2)); // trailer
  CHECK(enc.non_finite == 1 + indicator_column_count - 2);
}

TEST_CASE("encode_rows refuses invalid symbols before encoding anything", "[pg][copy]") {
  auto bad = sample_row();
  bad.symbol = "AAPL'; DROP TABLE x;--";
  CHECK_THROWS_AS(pg::encode_rows({sample_row(), bad}, cols_, pg::copy_format::text, false),
                  std::invalid_argument);
  bad.symbol = "aapl";
  CHECK_THROWS_AS(pg::encode_rows({bad}, cols_, pg::copy_format::binary, false), std::invalid_argument);
}

TEST_CASE("parse_copy_format accepts text and binary only", "[pg][copy]") {
  CHECK(pg::parse_copy_format("text") == pg::copy_format::text);
  CHECK(pg::parse_copy_format("binary") == pg::copy_format::binary);
  CHECK_THROWS_AS(pg::parse_copy_format("csv"), std::invalid_argument);
}

TEST_CASE("encode_rows writes the given indicator columns: values follow the list, a row of "
          "another width is refused",
          "[pg][copy]") {
  const std::vector<std::string> cols{"rsi", "sma_50", "sma_200"};
  CHECK(pg::indicator_table_columns(cols) ==
        "symbol, date, open, high, low, close, adj_close, volume, rsi, sma_50, sma_200");
  auto row = sample_row();
  row.values = {1.25, std::nan(""), -3};
  auto enc = pg::encode_rows({row}, cols, pg::copy_format::text, /*with_seq=*/false);
  CHECK(enc.data == "BRK-B\t2024-01-02\t1.5\t2.25\t0.1\t2\t1.9375\t123456789012\t1.25\t\\N\t-3\n");
  CHECK(enc.non_finite == 1);
  auto bin = pg::encode_rows({row}, cols, pg::copy_format::binary, false);
  CHECK(((static_cast<unsigned char>(bin.data[19]) << 8) | static_cast<unsigned char>(bin.data[20])) ==
        8 + 3);
  row.values.push_back(1);
  CHECK_THROWS_AS(pg::encode_rows({row}, cols, pg::copy_format::text, false),
                  std::invalid_argument);
  // Column names are identifiers from the registry, never arbitrary text.
  CHECK_THROWS_AS(pg::indicator_table_columns({"rsi; DROP TABLE x"}), std::invalid_argument);
  CHECK_THROWS_AS(pg::indicator_table_columns({"Rsi"}), std::invalid_argument);
}
