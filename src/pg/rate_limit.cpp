// Token bucket in PostgreSQL (see rate_limit.hpp).
#include "pg/rate_limit.hpp"

#include <cmath>
#include <stdexcept>

namespace finstream::pg {

std::chrono::microseconds reserve_token(connection& c, const std::string& name, double rate,
                                        double burst, std::optional<double> at) {
  if (!(rate > 0) || !(burst >= 1))
    throw std::invalid_argument("pg: rate limit needs rate > 0 and burst >= 1");
  // The row lock of the UPDATE serialises concurrent reservations of one bucket.
  auto r = c.with_retry([&](connection& conn) {
    return conn.query(
        "INSERT INTO rate_limits AS b (name, tokens, updated_at)\n"
        "VALUES ($1, $3::float8 - 1, coalesce(to_timestamp($4::float8), clock_timestamp()))\n"
        "ON CONFLICT (name) DO UPDATE SET\n"
        "  tokens = LEAST($3::float8, b.tokens + $2::float8 *\n"
        "    GREATEST(0, extract(epoch FROM coalesce(to_timestamp($4::float8), "
        "clock_timestamp())\n"
        "                              - b.updated_at))) - 1,\n"
        "  updated_at = GREATEST(b.updated_at, coalesce(to_timestamp($4::float8), "
        "clock_timestamp()))\n"
        "RETURNING tokens",
        name, rate, burst, at);
  });
  const double tokens = r.float8(0, 0);
  if (tokens >= 0) return std::chrono::microseconds{0};
  return std::chrono::microseconds{static_cast<std::int64_t>(std::ceil(-tokens / rate * 1e6))};
}

} // namespace finstream::pg
