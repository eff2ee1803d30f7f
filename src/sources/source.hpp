// The one interface every market-data source implements: (symbol, from, to) → bars or a typed
// error.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "core/bar.hpp"

namespace finstream {

/// Why a fetch failed. Permanent errors are never retried (until the universe or range changes);
/// transient ones are retried by the source itself and surface only after its retry budget.
enum class fetch_error_kind {
  not_found,    // permanent: unknown or delisted symbol (Yahoo 404)
  bad_request,  // permanent: invalid symbol or range (Yahoo 422, 400)
  throttled,    // transient: 429 / circuit breaker open (delays the symbol, uses no retry budget)
  server_error, // transient: 5xx, HTML outage page
  timeout,      // transient: connect or read timeout
  garbled,      // transient: truncated or invalid body
  network,      // transient: connection refused/reset, TLS failure, DNS
  forbidden,    // transient: 401/403 (refused, not throttled: counts against the retry budget)
};

/// Every kind, e.g. to register a series per kind at 0 before the first failure.
inline constexpr fetch_error_kind all_fetch_error_kinds[] = {
    fetch_error_kind::not_found, fetch_error_kind::bad_request, fetch_error_kind::throttled,
    fetch_error_kind::server_error, fetch_error_kind::timeout,  fetch_error_kind::garbled,
    fetch_error_kind::network};

bool is_permanent(fetch_error_kind kind);
const char* to_string(fetch_error_kind kind);

struct fetch_error {
  fetch_error_kind kind = fetch_error_kind::network;
  std::string reason;  // one line, human readable, no secrets
  int http_status = 0; // last HTTP status seen, 0 when none
  int attempts = 0;    // requests made for this fetch, retries included
};

/// Either the series (bars ascending, unique dates, only closed sessions, within [from, to]) or why
/// not.
using fetch_result = std::variant<bar_series, fetch_error>;

/// A market-data source. `fetch` may block (network I/O); an instance is used by one thread at a
/// time. Instances created by one factory share process-wide limits (rate limiter, circuit
/// breaker).
class source {
public:
  virtual ~source() = default;

  /// Daily bars of `symbol` for the exchange-local dates [from, to], both inclusive.
  /// Precondition: `symbol` passed symbol validation.
  virtual fetch_result fetch(const std::string& symbol, day_t from, day_t to) = 0;

  /// "synthetic", "csv", "yahoo": for logs and metrics.
  virtual const char* kind() const = 0;
};

} // namespace finstream
