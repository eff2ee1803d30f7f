// A local stand-in for Yahoo's chart API: serves the recorded bodies by symbol, cut to
// period1/period2, and injects scripted failures, over HTTP or TLS. Used in-process by the tests
// and as the standalone `yahoo_replay` tool (see test/sources/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace finstream::test {

/// One scripted answer to a chart request.
struct replay_step {
  enum class action {
    ok,            // the recorded bars within [period1, period2]
    throttle,      // 429 text/plain "Too Many Requests" (+ Retry-After when retry_after >= 0)
    forbidden,     // 403 text/plain
    server_error,  // 500 with a finance.error JSON body (+ Retry-After when retry_after >= 0)
    html,          // 503 text/html outage page
    html200,       // 200 text/html page (consent/outage page served as success)
    delay,         // wait delay_ms, then answer ok (past the client's read timeout)
    truncated,     // 200 with Content-Length of the full body, half the body, then close
    cut_json,      // 200, complete HTTP message, JSON body cut in half
    invalid_json,  // 200 application/json that is not JSON
    not_found,     // 404 {"chart":{"result":null,"error":{"code":"Not Found",...}}}
    unprocessable, // 422 {"chart":{"result":null,"error":{"code":"Unprocessable Entity",...}}}
    empty,         // 200, meta only, no timestamp, quote: [{}]
    open_session,  // ok, but meta.currentTradingPeriod.regular = [last bar, now + 1 h)
    close,         // close the connection without answering
  };
  action act = action::ok;
  int retry_after = -1; // seconds; -1 = no header
  int delay_ms = 0;
};

/// Parses one step: ok, 429[:SECONDS], 403, 500[:SECONDS], html, html200, delay:MS, truncated,
/// cut-json, invalid-json, 404, 422, empty, open-session, close. Throws std::invalid_argument.
replay_step parse_step(std::string_view text);
/// Steps separated by ',', ';' or blanks, e.g. "429:1, 500, ok". Throws std::invalid_argument.
std::vector<replay_step> parse_script(std::string_view text);

/// One chart request the server answered (control requests are not recorded).
struct replay_request {
  std::string symbol;
  std::string target;
  std::string user_agent;
  std::string host_header;
  std::string sni; // TLS server name the client sent (empty over plain HTTP or without SNI)
  std::int64_t period1 = 0;
  std::int64_t period2 = 0;
  std::size_t connection = 0; // 1-based index of the connection it came on (see connection_count)
  std::string answer;         // the step's name ("ok", "429", ...)
  std::int64_t received_ms = 0; // when the request arrived (system clock, ms since the epoch)
};

/// The server. Construction loads every *.json recording of data_dir (daily, non-fake ones are
/// served; several recordings of one symbol: the one overlapping the asked window most wins),
/// binds, and serves on a background thread until destruction or stop(). All member functions are
/// thread-safe.
///
/// Chart requests: GET {any prefix}/v8/finance/chart/{SYMBOL}?period1=&period2=... Bars with
/// period1 <= timestamp <= period2 are served (Yahoo also returns the bar starting at period2),
/// with the events inside the window; numbers are served byte for byte as recorded. Unknown
/// symbols get Yahoo's 404. Each request consumes the next step of the symbol's script (else of the
/// "*" script); without a step it is answered `ok`.
///
/// Control endpoints (for out-of-process users; never counted as requests):
///   POST /__replay/script/{SYMBOL or *}   body = script text   → 204
///   POST /__replay/reset                  clears scripts and counters → 204
///   GET  /__replay/stats                  {"requests":N,"connections":M,"by_symbol":{"SYM":n}}
///                                         (connections: as connection_count())
///   GET  /__replay/requests               the request log, in arrival order:
///                                         [{"symbol":"SYM","received_ms":T,"answer":"ok"},...]
class yahoo_replay {
public:
  struct options {
    std::string data_dir;
    std::string cert_file; // both set: TLS
    std::string key_file;
    std::string bind = "127.0.0.1";
    unsigned short port = 0; // 0 = any free port
  };

  explicit yahoo_replay(options o);
  ~yahoo_replay();
  yahoo_replay(const yahoo_replay&) = delete;
  yahoo_replay& operator=(const yahoo_replay&) = delete;

  unsigned short port() const;
  /// http://127.0.0.1:PORT, or https://localhost:PORT with TLS (the generated certificate names
  /// localhost and 127.0.0.1).
  std::string base_url() const;

  void script(const std::string& symbol, std::vector<replay_step> steps);
  void script(const std::string& symbol, std::string_view text) {
    script(symbol, parse_script(text));
  }
  /// Clears scripts and counters.
  void reset();

  std::size_t request_count() const;
  std::size_t request_count(const std::string& symbol) const;
  std::vector<replay_request> requests() const;
  /// TCP connections that carried at least one chart request (control requests do not count).
  std::size_t connection_count() const;
  /// Symbols with a served recording.
  std::vector<std::string> symbols() const;

  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

/// Generates a self-signed certificate (EC P-256, CN=localhost, SAN DNS:localhost + IP:127.0.0.1,
/// valid from one hour ago for two days) and its key as PEM files in `dir` (cert.pem, key.pem),
/// with OpenSSL's API. Returns {cert path, key path}. Throws std::runtime_error.
std::pair<std::string, std::string> make_self_signed_cert(const std::string& dir);

} // namespace finstream::test
