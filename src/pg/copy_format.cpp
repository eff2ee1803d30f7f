// COPY encoders for indicator rows. Hand-written: libpq has no row encoder, and the binary format
// (documented in the COPY reference: signature, header, per-tuple field count and length-prefixed
// big-endian fields) is small.
#include "pg/copy_format.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/symbol.hpp"

namespace finstream::pg {

namespace {

// PostgreSQL's binary date: days since 2000-01-01; day_t counts from 1970-01-01.
constexpr std::int32_t pg_epoch_offset = 10957;
constexpr std::size_t price_columns = 5;

void put_u16(std::string& out, std::uint16_t v) {
  v = __builtin_bswap16(v);
  out.append(reinterpret_cast<const char*>(&v), 2);
}
void put_u32(std::string& out, std::uint32_t v) {
  v = __builtin_bswap32(v);
  out.append(reinterpret_cast<const char*>(&v), 4);
}
void put_u64(std::string& out, std::uint64_t v) {
  v = __builtin_bswap64(v);
  out.append(reinterpret_cast<const char*>(&v), 8);
}

struct binary_writer {
  std::string& out;
  std::size_t& non_finite;
  void i32(std::int32_t v) {
    put_u32(out, 4);
    put_u32(out, static_cast<std::uint32_t>(v));
  }
  void i64(std::int64_t v) {
    put_u32(out, 8);
    put_u64(out, static_cast<std::uint64_t>(v));
  }
  void f64(double v) {
    if (!std::isfinite(v)) {
      ++non_finite;
      put_u32(out, 0xFFFFFFFFu); // -1: NULL
      return;
    }
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put_u32(out, 8);
    put_u64(out, bits);
  }
  void text(const std::string& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
  }
  void date(day_t d) { i32(d - pg_epoch_offset); }
};

struct text_writer {
  std::string& out;
  std::size_t& non_finite;
  char buf[32];
  void i64(std::int64_t v) {
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
  }
  void i32(std::int32_t v) { i64(v); }
  void f64(double v) {
    if (!std::isfinite(v)) {
      ++non_finite;
      out += "\\N";
      return;
    }
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
  }
  // Valid symbols ([A-Z0-9.=^_-]) hold nothing COPY text needs to escape.
  void text(const std::string& s) { out += s; }
  void date(day_t d) {
    char b[10];
    format_date(d, b);
    out.append(b, 10);
  }
};

template <class W>
void write_row(W& w, const indicator_row& r, bool with_seq, std::int32_t seq, bool text) {
  auto sep = [&] {
    if (text) w.out += '\t';
  };
  if (with_seq) {
    w.i32(seq);
    sep();
  }
  w.text(r.symbol);
  sep();
  w.date(r.b.date);
  const double prices[price_columns] = {r.b.open, r.b.high, r.b.low, r.b.close, r.b.adj_close};
  for (double p : prices) {
    sep();
    w.f64(p);
  }
  sep();
  w.i64(r.b.volume);
  for (double v : r.values) {
    sep();
    w.f64(v);
  }
  if (text) w.out += '\n';
}

} // namespace

const char* to_string(copy_format f) {
  return f == copy_format::binary ? "binary" : "text";
}

copy_format parse_copy_format(const std::string& s) {
  if (s == "binary") return copy_format::binary;
  if (s == "text") return copy_format::text;
  throw std::invalid_argument("unknown COPY format '" + s + "' (expected text or binary)");
}

std::string indicator_table_columns(const std::vector<std::string>& columns) {
  std::string cols = "symbol, date, open, high, low, close, adj_close, volume";
  for (const auto& c : columns) {
    const bool ok = !c.empty() && c.size() <= 63 && c[0] >= 'a' && c[0] <= 'z' &&
                    c.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == c.npos;
    if (!ok) throw std::invalid_argument("pg: '" + c + "' is not an indicator column name");
    cols += ", ";
    cols += c;
  }
  return cols;
}

std::string indicator_table_columns() {
  return indicator_table_columns(default_indicator_columns());
}

encoded_rows encode_rows(const std::vector<indicator_row>& rows,
                         const std::vector<std::string>& columns, copy_format format,
                         bool with_seq) {
  for (const auto& r : rows) {
    if (auto err = symbol_error(r.symbol))
      throw std::invalid_argument("pg: refusing to write a row with an invalid symbol: " + *err);
    if (r.values.size() != columns.size())
      throw std::invalid_argument("pg: a row of " + r.symbol + " has " +
                                  std::to_string(r.values.size()) + " indicator values for " +
                                  std::to_string(columns.size()) + " columns");
  }
  if (rows.size() > static_cast<std::size_t>(INT32_MAX))
    throw std::invalid_argument("pg: too many rows in one COPY");
  encoded_rows enc;
  enc.rows = rows.size();
  const std::size_t fields = (with_seq ? 1 : 0) + 2 + price_columns + 1 + columns.size();
  if (format == copy_format::binary) {
    enc.data.reserve(19 + rows.size() * (2 + fields * 12) + 2);
    enc.data.append("PGCOPY\n\377\r\n\0", 11);
    put_u32(enc.data, 0); // flags
    put_u32(enc.data, 0); // header extension length
    binary_writer w{enc.data, enc.non_finite};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      put_u16(enc.data, static_cast<std::uint16_t>(fields));
      write_row(w, rows[i], with_seq, static_cast<std::int32_t>(i), false);
    }
    put_u16(enc.data, 0xFFFFu); // trailer: -1
  } else {
    enc.data.reserve(rows.size() * fields * 14);
    text_writer w{enc.data, enc.non_finite, {}};
    for (std::size_t i = 0; i < rows.size(); ++i)
      write_row(w, rows[i], with_seq, static_cast<std::int32_t>(i), true);
  }
  return enc;
}

} // namespace finstream::pg
