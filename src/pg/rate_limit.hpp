// A token bucket in PostgreSQL (table rate_limits), shared by every process of a deployment: the
// configured request rate holds for all agents together, however many processes run them.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "pg/connection.hpp"

namespace finstream::pg {

/// Takes one token from bucket `name` (`rate` tokens per second, at most `burst` stored; created
/// full on first use) in one statement, and returns how long the caller must wait before using
/// it. Reservations are served in commit order: a reservation may push the bucket negative, so
/// later callers wait behind earlier ones, and the long-run rate over all callers is `rate`.
/// Time is the server's (clock_timestamp()), so the callers' clocks do not matter. Retried after
/// a lost connection (a retried reservation may take a second token: the rate errs on the slow
/// side). Throws std::invalid_argument for rate <= 0 or burst < 1.
/// `at` (seconds since the epoch) replaces the server's clock: for tests that assert token counts
/// instead of wall-clock timings; nullopt in production.
std::chrono::microseconds reserve_token(connection& c, const std::string& name, double rate,
                                        double burst, std::optional<double> at = std::nullopt);

} // namespace finstream::pg
