// Yahoo chart API client: Beast HTTP/1.1 over TCP or TLS with per-operation deadlines (a private
// io_context run to completion per operation, so fetch() is blocking but every wait is bounded),
// response classification, retries, limits and metrics. See yahoo.hpp for the contract.
#include "sources/yahoo.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <date/date.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.hpp"
#include "core/symbol.hpp"
#include "metrics/metrics.hpp"
#include "sources/bar_files.hpp"

namespace finstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;

// ---- URL helpers ------------------------------------------------------------------------------

yahoo_target parse_base_url(std::string_view url) {
  yahoo_target t;
  auto bad = [&](const char* why) {
    return std::invalid_argument("bad Yahoo base URL '" + std::string{url.substr(0, 200)} +
                                 "': " + why);
  };
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    t.tls = true;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    t.tls = false;
    rest = url.substr(7);
  } else {
    throw bad("scheme must be http:// or https://");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    throw bad("credentials in the URL are not supported");
  if (path.find_first_of("?#") != std::string_view::npos) throw bad("no query or fragment allowed");
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unclosed IPv6 literal");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("junk after IPv6 literal");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) throw bad("no host");
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '_'))
      throw bad("invalid character in host");
  if (!port.empty()) {
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) throw bad("port must be a number");
    if (port.size() > 5 || std::stoi(std::string{port}) > 65535 ||
        std::stoi(std::string{port}) == 0)
      throw bad("port out of range");
  }
  t.host = std::string{host};
  t.port = port.empty() ? (t.tls ? "443" : "80") : std::string{port};
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  t.prefix = std::string{path};
  return t;
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string chart_target(const yahoo_target& t, const std::string& symbol, day_t from, day_t to) {
  const std::int64_t p1 = day_start_epoch(from) - 86400;
  const std::int64_t p2 = day_start_epoch(to) + 2 * 86400;
  return t.prefix + "/v8/finance/chart/" + percent_encode(symbol) +
         "?period1=" + std::to_string(p1) + "&period2=" + std::to_string(p2) +
         "&interval=1d&events=div%7Csplit";
}

// date::parse's internals trip a false -Wmaybe-uninitialized in g++ 12 (library code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_epoch) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stol(std::string{value}));
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::istringstream in{std::string{value}};
  date::sys_seconds when;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", when);
  if (in.fail()) return std::nullopt;
  const auto delta = when.time_since_epoch().count() - now_epoch;
  return std::chrono::seconds(std::max<std::int64_t>(0, delta));
}
#pragma GCC diagnostic pop

// ---- shared state -----------------------------------------------------------------------------

struct yahoo_shared {
  yahoo_options opt;
  yahoo_target target;
  std::unique_ptr<ssl::context> tls;
  std::shared_ptr<host_limits> limits;
  metrics::registry* registry = nullptr;
  metrics::histogram* latency = nullptr;
  metrics::counter* retries = nullptr;
  metrics::counter* breaker_rejections = nullptr;
};

std::shared_ptr<yahoo_shared> make_yahoo_shared(const yahoo_options& options,
                                                metrics::registry* registry) {
  auto sh = std::make_shared<yahoo_shared>();
  sh->opt = options;
  sh->target = parse_base_url(options.base_url);
  if (options.max_attempts < 1) throw std::invalid_argument("Yahoo max attempts must be >= 1");
  if (!(options.rate_per_second > 0)) throw std::invalid_argument("Yahoo request rate must be > 0");
  if (options.connect_timeout.count() <= 0 || options.read_timeout.count() <= 0)
    throw std::invalid_argument("Yahoo timeouts must be > 0");
  if (sh->target.tls) {
    sh->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    sh->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    error_code ec;
    if (options.ca_file.empty())
      sh->tls->set_default_verify_paths(ec);
    else
      sh->tls->load_verify_file(options.ca_file, ec);
    if (ec)
      throw std::invalid_argument(
          "cannot load CA certificates" +
          (options.ca_file.empty() ? std::string{} : " from '" + options.ca_file + "'") + ": " +
          ec.message());
    sh->tls->set_verify_mode(ssl::verify_peer);
  }
  sh->limits =
      std::make_shared<host_limits>(options.rate_per_second, options.burst, options.breaker);
  sh->registry = registry ? registry : &metrics::registry::global();
  const metrics::labels src{{"source", "yahoo"}};
  sh->latency = &sh->registry->histogram("finstream_source_request_duration_seconds",
                                         "Duration of market-data HTTP requests",
                                         metrics::default_latency_buckets(), src);
  sh->retries =
      &sh->registry->counter("finstream_source_retries_total",
                             "Market-data requests retried after a transient failure", src);
  sh->breaker_rejections = &sh->registry->counter(
      "finstream_source_breaker_rejections_total",
      "Fetches refused without a request because the circuit breaker is open", src);
  sh->registry
      ->gauge("finstream_source_rate_limit_requests_per_second",
              "Configured request rate limit of this process's market-data client", src)
      .set(options.rate_per_second);
  // Every outcome at 0, so that rates by outcome exist before the first fetch.
  sh->registry->counter("finstream_source_fetches_total", "Market-data fetches by final outcome",
                        {{"source", "yahoo"}, {"outcome", "ok"}});
  for (auto kind : all_fetch_error_kinds)
    sh->registry->counter("finstream_source_fetches_total", "Market-data fetches by final outcome",
                          {{"source", "yahoo"}, {"outcome", to_string(kind)}});
  return sh;
}

std::shared_ptr<host_limits> limits_of(const yahoo_shared& shared) {
  return shared.limits;
}

// ---- one exchange over the wire ---------------------------------------------------------------

namespace {

/// What one request produced at the transport level.
struct exchange {
  enum class outcome { response, timeout, network, tls_verify, truncated, too_large } kind;
  std::string error; // transport failure text
  int status = 0;
  std::string content_type;
  std::string retry_after;
  std::string location;
  std::string body;
};

std::string printable_snippet(std::string_view s, std::size_t max = 80) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

bool looks_like_html(const std::string& content_type, std::string_view body) {
  std::string ct = content_type;
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ct.find("html") != std::string::npos) return true;
  auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && body[first] == '<';
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

} // namespace

struct yahoo_source::impl {
  std::shared_ptr<yahoo_shared> sh;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool open = false;
  int connections = 0;
  std::mt19937_64 rng{std::random_device{}()};
  std::unique_ptr<shared_rate> deployment_rate; // null: the per-process bucket only

  explicit impl(std::shared_ptr<yahoo_shared> s)
      : sh(std::move(s)) {
    if (sh->opt.make_shared_rate) deployment_rate = sh->opt.make_shared_rate();
  }

  /// Waits for this request's token: the deployment's bucket, else (or when it is unreachable)
  /// the process's.
  void acquire_token() {
    if (deployment_rate) {
      try {
        auto wait = deployment_rate->reserve();
        if (wait > steady_clock::duration::zero()) std::this_thread::sleep_for(wait);
        return;
      } catch (const std::exception& e) {
        log::warn("source", "shared_rate_unavailable", {{"reason", e.what()}});
      }
    }
    sh->limits->bucket.acquire();
  }

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    if (plain || secure) {
      error_code ignored;
      lowest().socket().close(ignored);
    }
    plain.reset();
    secure.reset();
    buffer.clear();
    open = false;
  }

  /// Runs queued handlers to completion.
  void run() {
    ioc.restart();
    ioc.run();
  }

  /// Resolve + connect + TLS handshake within connect_timeout. Empty string on success.
  exchange connect() {
    exchange x{exchange::outcome::network, {}, 0, {}, {}, {}, {}};
    const auto deadline = steady_clock::now() + sh->opt.connect_timeout;
    const yahoo_target& t = sh->target;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    error_code ec;
    bool done = false;
    resolver.async_resolve(t.host, t.port, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      done = true;
    });
    ioc.restart();
    ioc.run_for(sh->opt.connect_timeout);
    if (!done) {
      resolver.cancel();
      run();
      x.kind = exchange::outcome::timeout;
      x.error = "resolving " + t.host + " timed out";
      return x;
    }
    if (ec) {
      x.error = "cannot resolve " + t.host + ": " + ec.message();
      return x;
    }
    if (t.tls)
      secure.emplace(ioc, *sh->tls);
    else
      plain.emplace(ioc);
    lowest().expires_at(deadline);
    lowest().async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) {
      close();
      x.kind =
          ec == beast::error::timeout ? exchange::outcome::timeout : exchange::outcome::network;
      x.error = ec == beast::error::timeout
                    ? "connect to " + t.host + ":" + t.port + " timed out"
                    : "cannot connect to " + t.host + ":" + t.port + ": " + ec.message();
      return x;
    }
    ++connections;
    if (t.tls) {
      if (!is_ip_literal(t.host)) // SNI carries names only (RFC 6066)
        SSL_set_tlsext_host_name(secure->native_handle(), t.host.c_str());
      secure->set_verify_callback(ssl::host_name_verification(t.host));
      lowest().expires_at(deadline);
      secure->async_handshake(ssl::stream_base::client, [&](error_code e) { ec = e; });
      run();
      if (ec) {
        const long verify = SSL_get_verify_result(secure->native_handle());
        const bool verify_failed = (ec.category() == asio::error::get_ssl_category() &&
                                    ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
                                        SSL_R_CERTIFICATE_VERIFY_FAILED) ||
                                   verify != X509_V_OK;
        x.kind = ec == beast::error::timeout ? exchange::outcome::timeout
                 : verify_failed             ? exchange::outcome::tls_verify
                                             : exchange::outcome::network;
        x.error = ec == beast::error::timeout ? "TLS handshake with " + t.host + " timed out"
                  : verify_failed ? "TLS certificate verification failed for " + t.host + ": " +
                                        (verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                                                             : ec.message())
                                  : "TLS handshake with " + t.host + " failed: " + ec.message();
        close();
        return x;
      }
    }
    open = true;
    x.kind = exchange::outcome::response;
    return x;
  }

  template <class Stream>
  exchange send(Stream& stream, const std::string& target, bool& stale) {
    exchange x{exchange::outcome::network, {}, 0, {}, {}, {}, {}};
    const yahoo_target& t = sh->target;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    const bool default_port = (t.tls && t.port == "443") || (!t.tls && t.port == "80");
    const std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
    req.set(http::field::host, default_port ? host : host + ":" + t.port);
    req.set(http::field::user_agent, sh->opt.user_agent);
    req.set(http::field::accept, "application/json, text/plain, */*");
    req.set(http::field::accept_language, "en-US,en;q=0.9");
    req.keep_alive(true);
    error_code ec;
    lowest().expires_after(sh->opt.read_timeout);
    http::async_write(stream, req, [&](error_code e, std::size_t) { ec = e; });
    run();
    http::response_parser<http::string_body> parser;
    parser.body_limit(sh->opt.max_body_bytes);
    if (!ec) {
      http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
      run();
    }
    if (ec) {
      stale = !parser.got_some() &&
              (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
               ec == asio::error::broken_pipe || ec == asio::error::eof ||
               ec == ssl::error::stream_truncated);
      close();
      if (ec == beast::error::timeout) {
        x.kind = exchange::outcome::timeout;
        x.error =
            "no complete answer within " + std::to_string(sh->opt.read_timeout.count()) + " ms";
      } else if (ec == http::error::body_limit) {
        x.kind = exchange::outcome::too_large;
        x.error = "body larger than " + std::to_string(sh->opt.max_body_bytes) + " bytes";
      } else if (parser.got_some() || ec == http::error::partial_message) {
        x.kind = exchange::outcome::truncated;
        x.error = "truncated answer (" + ec.message() + ")";
      } else {
        x.kind = exchange::outcome::network;
        x.error = "connection to " + t.host + " failed: " + ec.message();
      }
      return x;
    }
    auto& res = parser.get();
    x.kind = exchange::outcome::response;
    x.status = static_cast<int>(res.result_int());
    x.content_type = std::string{res[http::field::content_type]};
    x.retry_after = std::string{res[http::field::retry_after]};
    x.location = std::string{res[http::field::location]};
    x.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return x;
  }

  /// One request, on the kept-alive connection when there is one (re-sent once on a fresh
  /// connection when the server had closed the idle one).
  exchange request(const std::string& target) {
    for (int round = 0; round < 2; ++round) {
      const bool reused = open;
      if (!open) {
        auto c = connect();
        if (c.kind != exchange::outcome::response) return c;
      }
      bool stale = false;
      exchange x = secure ? send(*secure, target, stale) : send(*plain, target, stale);
      if (x.kind == exchange::outcome::response || !(reused && stale)) return x;
    }
    return exchange{exchange::outcome::network, "connection closed twice", 0, {}, {}, {}, {}};
  }
};

// ---- the fetch loop ---------------------------------------------------------------------------

namespace {

/// A classified answer.
struct verdict {
  std::optional<bar_series> series;
  std::optional<yahoo_trading_period> regular;
  fetch_error error;
  bool retry = false;
  bool throttle_signal = false;
  std::optional<std::chrono::seconds> retry_after;
};

verdict classify(const exchange& x, const std::string& symbol, std::int64_t now_epoch) {
  verdict v;
  v.error.http_status = x.status;
  auto fail = [&](fetch_error_kind k, std::string reason, bool retry) {
    v.error.kind = k;
    v.error.reason = std::move(reason);
    v.retry = retry;
    return v;
  };
  switch (x.kind) {
  case exchange::outcome::timeout:
    return fail(fetch_error_kind::timeout, x.error, true);
  case exchange::outcome::network:
    return fail(fetch_error_kind::network, x.error, true);
  case exchange::outcome::tls_verify:
    return fail(fetch_error_kind::network, x.error, false);
  case exchange::outcome::truncated:
  case exchange::outcome::too_large:
    return fail(fetch_error_kind::garbled, x.error, true);
  case exchange::outcome::response:
    break;
  }
  if (!x.retry_after.empty()) v.retry_after = parse_retry_after(x.retry_after, now_epoch);
  const std::string status = "HTTP " + std::to_string(x.status);
  const std::string ct = x.content_type.empty() ? "no content type" : x.content_type;
  auto yahoo_error = find_yahoo_error(x.body); // nullopt for anything but Yahoo's error JSON
  auto from_yahoo = [&](const yahoo_body_error& e) {
    return e.code + (e.description.empty() ? "" : ": " + e.description);
  };
  auto kind_of_code = [](const std::string& code) -> std::optional<fetch_error_kind> {
    if (code == "Not Found") return fetch_error_kind::not_found;
    if (code == "Bad Request" || code == "Unprocessable Entity")
      return fetch_error_kind::bad_request;
    return std::nullopt;
  };
  const int s = x.status;
  if (s == 200) {
    if (looks_like_html(x.content_type, x.body))
      return fail(fetch_error_kind::server_error,
                  status + " with an HTML page (" + ct + "): " + printable_snippet(x.body), true);
    if (yahoo_error) {
      auto k = kind_of_code(yahoo_error->code);
      return fail(k.value_or(fetch_error_kind::server_error), from_yahoo(*yahoo_error), !k);
    }
    try {
      read_report report;
      std::optional<yahoo_trading_period> regular;
      v.series = parse_yahoo_chart(x.body, symbol, report, regular);
      v.regular = regular;
      return v;
    } catch (const bar_file_error& e) {
      return fail(fetch_error_kind::garbled, status + " (" + ct + ") unreadable: " + e.what(),
                  true);
    }
  }
  if (s == 429 || s == 401 || s == 403) {
    v.throttle_signal = s == 429;
    return fail(s == 429 ? fetch_error_kind::throttled : fetch_error_kind::forbidden,
                status + " (" + ct +
                    "): " + (yahoo_error ? from_yahoo(*yahoo_error) : printable_snippet(x.body)),
                true);
  }
  if (s == 404) {
    if (yahoo_error)
      return fail(kind_of_code(yahoo_error->code).value_or(fetch_error_kind::not_found),
                  "symbol not found: " + (yahoo_error->description.empty()
                                              ? yahoo_error->code
                                              : yahoo_error->description),
                  false);
    return fail(fetch_error_kind::server_error,
                status + " without Yahoo's error body (" + ct +
                    "; is the base URL right?): " + printable_snippet(x.body),
                false);
  }
  if (s >= 400 && s < 500)
    return fail(fetch_error_kind::bad_request,
                status + ": " +
                    (yahoo_error ? from_yahoo(*yahoo_error) : printable_snippet(x.body)),
                false);
  if (s >= 500)
    return fail(fetch_error_kind::server_error,
                status + (looks_like_html(x.content_type, x.body) ? " with an HTML page (" : " (") +
                    ct +
                    "): " + (yahoo_error ? from_yahoo(*yahoo_error) : printable_snippet(x.body)),
                true);
  return fail(
      fetch_error_kind::server_error,
      "unexpected " + status +
          (x.location.empty() ? "" : " (redirect to " + printable_snippet(x.location) + ")"),
      false);
}

std::string status_label(const exchange& x) {
  switch (x.kind) {
  case exchange::outcome::response:
    return std::to_string(x.status);
  case exchange::outcome::timeout:
    return "timeout";
  case exchange::outcome::tls_verify:
    return "tls_error";
  case exchange::outcome::truncated:
  case exchange::outcome::too_large:
    return "truncated";
  case exchange::outcome::network:
    return "network_error";
  }
  return "other";
}

} // namespace

yahoo_source::yahoo_source(std::shared_ptr<yahoo_shared> shared)
    : impl_(std::make_unique<impl>(std::move(shared))) {}

yahoo_source::~yahoo_source() = default;

int yahoo_source::connections_opened() const {
  return impl_->connections;
}

fetch_result yahoo_source::fetch(const std::string& symbol, day_t from, day_t to) {
  impl& m = *impl_;
  yahoo_shared& sh = *m.sh;
  const yahoo_options& o = sh.opt;
  auto now_epoch = [&]() -> std::int64_t {
    if (o.now_epoch) return o.now_epoch();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto outcome_counter = [&](const std::string& outcome) -> metrics::counter& {
    return sh.registry->counter("finstream_source_fetches_total",
                                "Market-data fetches by final outcome",
                                {{"source", "yahoo"}, {"outcome", outcome}});
  };
  if (from > to) {
    outcome_counter("bad_request").inc();
    return fetch_error{
        fetch_error_kind::bad_request,
        "range starts after it ends (" + format_date(from) + " > " + format_date(to) + ")", 0, 0};
  }
  if (auto err = symbol_error(symbol)) { // callers validate; this guards the URL regardless
    outcome_counter("bad_request").inc();
    return fetch_error{fetch_error_kind::bad_request, *err, 0, 0};
  }
  const std::string target = chart_target(sh.target, symbol, from, to);
  circuit_breaker& breaker = sh.limits->breaker;
  fetch_error last;
  int attempts = 0;
  for (;;) {
    steady_clock::duration retry_in{};
    if (!breaker.allow(steady_clock::now(), retry_in)) {
      sh.breaker_rejections->inc();
      outcome_counter("throttled").inc();
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(retry_in).count() + 1;
      return fetch_error{fetch_error_kind::throttled,
                         "circuit breaker open after repeated throttling by " + sh.target.host +
                             "; next attempt allowed in " + std::to_string(secs) + " s" +
                             (last.reason.empty() ? "" : " (last: " + last.reason + ")"),
                         last.http_status, attempts};
    }
    m.acquire_token();
    ++attempts;
    const auto started = steady_clock::now();
    exchange x = m.request(target);
    sh.latency->observe_duration(steady_clock::now() - started);
    sh.registry
        ->counter("finstream_source_requests_total", "Market-data HTTP requests by status",
                  {{"source", "yahoo"}, {"status", status_label(x)}})
        .inc();
    verdict v = classify(x, symbol, now_epoch());
    if (v.throttle_signal)
      breaker.on_throttled(steady_clock::now());
    else if (x.kind == exchange::outcome::response && x.status < 500 && x.status != 401 &&
             x.status != 403)
      breaker.on_success();
    else
      breaker.on_neutral();

    if (v.series) {
      bar_series& s = *v.series;
      s.symbol = symbol;
      // Only closed sessions: when the current regular session has not ended, drop its day.
      day_t open_day = std::numeric_limits<day_t>::max();
      if (v.regular && now_epoch() < v.regular->end) {
        try {
          open_day = local_day(v.regular->start, s.meta.timezone);
        } catch (const std::exception&) {
        }
      }
      const day_t last_day = std::min(to, static_cast<day_t>(open_day - 1));
      auto outside = [&](const auto& e) { return e.date < from || e.date > last_day; };
      s.bars.erase(std::remove_if(s.bars.begin(), s.bars.end(), outside), s.bars.end());
      s.splits.erase(std::remove_if(s.splits.begin(), s.splits.end(), outside), s.splits.end());
      s.dividends.erase(std::remove_if(s.dividends.begin(), s.dividends.end(), outside),
                        s.dividends.end());
      s.complete_through = last_day;
      outcome_counter("ok").inc();
      return std::move(s);
    }
    last = v.error;
    last.attempts = attempts;
    if (!v.retry) {
      outcome_counter(to_string(last.kind)).inc();
      return last;
    }
    if (attempts >= o.max_attempts) {
      last.reason = "gave up after " + std::to_string(attempts) + " attempts: " + last.reason;
      outcome_counter(to_string(last.kind)).inc();
      return last;
    }
    if (v.retry_after && *v.retry_after > o.max_retry_after) {
      last.reason = "server asks to wait " + std::to_string(v.retry_after->count()) +
                    " s (Retry-After), more than the " +
                    std::to_string(o.max_retry_after.count() / 1000) + " s limit: " + last.reason;
      outcome_counter(to_string(last.kind)).inc();
      return last;
    }
    // The breaker opened on this answer: report it now rather than after a pointless backoff.
    if (breaker.current(steady_clock::now()) == circuit_breaker::state::open) continue;
    // Equal jitter: uniform in [b/2, b], b = min(max, base * 2^(attempts-1)).
    const double base =
        std::min<double>(static_cast<double>(o.backoff_max.count()),
                         static_cast<double>(o.backoff_base.count()) * std::pow(2.0, attempts - 1));
    std::uniform_real_distribution<double> jitter(base / 2, base);
    milliseconds wait{static_cast<std::int64_t>(jitter(m.rng))};
    if (v.retry_after) wait = std::max<milliseconds>(wait, *v.retry_after);
    sh.retries->inc();
    log::warn("source", "yahoo_retry",
              {{"symbol", symbol},
               {"attempt", attempts},
               {"kind", to_string(last.kind)},
               {"wait_ms", static_cast<std::int64_t>(wait.count())},
               {"reason", last.reason}});
    std::this_thread::sleep_for(wait);
  }
}

} // namespace finstream
