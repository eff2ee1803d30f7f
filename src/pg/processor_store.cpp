// Processor reads and partition claims (see processor_store.hpp).
#include "pg/processor_store.hpp"

#include <map>
#include <stdexcept>

#include "core/symbol.hpp"

namespace finstream::pg {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw pg_error(error_kind::other, "pg: bad hex digit in a state value");
}

// encode(state, 'hex') output back to bytes (independent of the server's bytea_output).
std::string from_hex(std::string_view hex) {
  if (hex.size() % 2) throw pg_error(error_kind::other, "pg: odd-length hex state value");
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  return out;
}

day_t to_day(const result& r, int row, int col) {
  return static_cast<day_t>(r.int64(row, col));
}

} // namespace

std::vector<symbol_state_update> load_symbol_state(connection& c,
                                                   const std::vector<std::string>& symbols) {
  for (const auto& s : symbols)
    require_valid_symbol(s, "pg");
  if (symbols.empty()) return {};
  const auto arr = array_of(symbols);
  auto r = c.with_retry([&](connection& conn) {
    return conn.query("SELECT symbol, last_date - DATE '1970-01-01', algo_version,\n"
                      "  encode(state, 'hex')\n"
                      "FROM processor_symbol_state WHERE symbol = ANY($1::text[])",
                      arr);
  });
  std::vector<symbol_state_update> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    symbol_state_update s;
    s.symbol = r.str(i, 0);
    s.last_date = to_day(r, i, 1);
    s.algo_version = static_cast<std::int32_t>(r.int64(i, 2));
    s.state = from_hex(r.text(i, 3));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<bar> load_bars(connection& c, const std::string& symbol) {
  require_valid_symbol(symbol, "pg");
  auto r = c.with_retry([&](connection& conn) {
    return conn.query("SELECT date - DATE '1970-01-01', open, high, low, close, adj_close,\n"
                      "  coalesce(volume, 0)\n"
                      "FROM technical_indicators WHERE symbol = $1 ORDER BY date",
                      symbol);
  });
  std::vector<bar> out(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    auto& b = out[static_cast<std::size_t>(i)];
    b.date = to_day(r, i, 0);
    b.open = r.float8(i, 1);
    b.high = r.float8(i, 2);
    b.low = r.float8(i, 3);
    b.close = r.float8(i, 4);
    b.adj_close = r.float8(i, 5);
    b.volume = r.int64(i, 6);
  }
  return out;
}

std::vector<partition_claim> claim_partitions(connection& c, const std::string& group,
                                              const std::string& topic,
                                              const std::vector<std::int32_t>& partitions) {
  if (partitions.empty()) return {};
  const auto arr = array_of(partitions);
  auto r = c.with_retry([&](connection& conn) {
    return conn.query(
        "INSERT INTO processor_offsets AS o (consumer_group, topic, partition, owner_epoch)\n"
        "SELECT $1, $2, p, 1 FROM (SELECT DISTINCT unnest($3::integer[]) AS p) AS ps\n"
        "ON CONFLICT (consumer_group, topic, partition)\n"
        "DO UPDATE SET owner_epoch = o.owner_epoch + 1, updated_at = now()\n"
        "RETURNING partition, owner_epoch, next_offset",
        group, topic, arr);
  });
  std::map<std::int32_t, partition_claim> by_partition;
  for (int i = 0; i < r.rows(); ++i) {
    partition_claim pc;
    pc.partition = static_cast<std::int32_t>(r.int64(i, 0));
    pc.epoch = r.int64(i, 1);
    if (!r.is_null(i, 2)) pc.next_offset = r.int64(i, 2);
    by_partition[pc.partition] = pc;
  }
  std::vector<partition_claim> out;
  for (auto p : partitions) {
    auto it = by_partition.find(p);
    if (it == by_partition.end())
      throw pg_error(error_kind::other, "pg: claim returned no row for a partition");
    out.push_back(it->second);
  }
  return out;
}

int record_partition_layout(connection& c, const std::string& group, const std::string& topic,
                            int partitions) {
  if (partitions < 1) throw std::invalid_argument("pg: a topic has at least one partition");
  const std::string count = std::to_string(partitions);
  auto known = [&](connection& conn) {
    return conn.query("SELECT coalesce(max(partition) + 1, 0) FROM processor_offsets\n"
                      "WHERE consumer_group = $1 AND topic = $2",
                      group, topic);
  };
  auto r = c.with_retry([&](connection& conn) {
    conn.query("INSERT INTO processor_offsets (consumer_group, topic, partition)\n"
               "SELECT $1, $2, p FROM generate_series(0, $3::integer - 1) AS p\n"
               "WHERE NOT EXISTS (SELECT 1 FROM processor_offsets\n"
               "                  WHERE consumer_group = $1 AND topic = $2)\n"
               "ON CONFLICT DO NOTHING",
               group, topic, count);
    // A separate statement: it sees the rows a concurrent first processor inserted too.
    return known(conn);
  });
  return static_cast<int>(r.int64(0, 0));
}

} // namespace finstream::pg
