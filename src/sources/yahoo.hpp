// Yahoo Finance chart API v8 client (Boost.Beast + OpenSSL): one GET per symbol and range, retried
// on transient failures, rate-limited and circuit-broken per host across all instances.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sources/factory.hpp"
#include "sources/source.hpp"

namespace finstream {

/// Parsed base URL.
struct yahoo_target {
  bool tls = true;
  std::string host;   // name or IP literal (IPv6 without brackets)
  std::string port;   // "443", "80" or explicit
  std::string prefix; // path prefix without trailing '/', usually empty
};

/// Parses scheme://host[:port][/prefix] (http or https). Throws std::invalid_argument.
yahoo_target parse_base_url(std::string_view url);

/// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

/// The request target for (symbol, from, to):
/// `{prefix}/v8/finance/chart/{SYMBOL}?period1=P1&period2=P2&interval=1d&events=div%7Csplit`.
/// The window is widened by a day before `from` and two after `to` (UTC epochs, while the dates
/// are exchange-local: any zone from UTC-12 to UTC+14 is covered); bars are trimmed afterwards.
std::string chart_target(const yahoo_target& t, const std::string& symbol, day_t from, day_t to);

/// Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate); nullopt when unparseable.
/// A date in the past gives 0.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_epoch);

/// State shared by every yahoo_source of one factory (options, per-host limits, TLS context,
/// metric series). Immutable after creation except for the limits (internally synchronised).
struct yahoo_shared;

/// Builds the shared state. Throws std::invalid_argument (bad URL, unreadable CA file, bad
/// numbers in the options).
std::shared_ptr<yahoo_shared> make_yahoo_shared(const yahoo_options& options,
                                                metrics::registry* registry);

/// The limits inside a shared state (for tests and the factory).
std::shared_ptr<host_limits> limits_of(const yahoo_shared& shared);

/// One client. fetch() blocks: rate-limit wait, request(s), backoff sleeps. Use from one thread at
/// a time; keeps its keep-alive connection between fetches.
///
/// Behaviour per outcome (attempts = requests made; each goes through the token bucket):
///  - 200 + chart JSON → bars (exchange-local dates) trimmed to [from, to], events within [from,
///    to], the bar of a session not closed yet dropped (meta.currentTradingPeriod.regular.end >
///    now: bars dated on or after that session's local date are removed).
///  - 404 with Yahoo's error JSON, or chart.error "Not Found" → not_found, no retry.
///  - 400 / 422 / other 4xx, or chart.error "Bad Request"/"Unprocessable Entity" → bad_request, no
///    retry.
///  - 404 without Yahoo's JSON (wrong base URL, proxy) and 3xx → server_error, no retry.
///  - 429 → throttled: retried (Retry-After honoured); feeds the circuit breaker.
///  - 401, 403 → forbidden: retried (Retry-After honoured); not throttling (the breaker ignores
///    it, and the manager counts it against the symbol's retry budget).
///  - 5xx, an HTML page (any status) → server_error, retried (Retry-After honoured).
///  - connect/read timeout → timeout; truncated transfer, invalid or unexpected JSON → garbled;
///    refused/reset/DNS → network: all retried.
///  - TLS certificate verification failure → network, not retried (retrying cannot fix it).
///  - circuit breaker open → throttled at once, no request (attempts counts only requests made).
///  - Retry-After above max_retry_after → throttled at once, no sleep.
///  After max_attempts the last error is returned with reason "gave up after N attempts: ...".
class yahoo_source : public source {
public:
  explicit yahoo_source(std::shared_ptr<yahoo_shared> shared);
  ~yahoo_source() override;

  fetch_result fetch(const std::string& symbol, day_t from, day_t to) override;
  const char* kind() const override { return "yahoo"; }

  /// TCP connections this instance opened (keep-alive makes it 1 for a series of fetches).
  int connections_opened() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream
