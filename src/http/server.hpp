// The operations HTTP endpoint of every finstream process: GET /metrics, /healthz, /readyz.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "http/readiness.hpp"
#include "metrics/metrics.hpp"

namespace finstream::http {

struct server_options {
  /// Address to bind: an IPv4/IPv6 literal or a host name resolved at start ("0.0.0.0" = all).
  std::string address = "0.0.0.0";
  /// TCP port; 0 = an ephemeral port chosen by the kernel (see server::port()).
  std::uint16_t port = 0;
  /// Longest time a client may take to send one request, or to receive one response; a slower
  /// client (or an idle keep-alive connection) is disconnected.
  std::chrono::milliseconds io_timeout{10000};
  /// Connections beyond this many are closed right after accept.
  std::size_t max_connections = 64;
  /// What /metrics renders and /readyz evaluates (must outlive the server).
  metrics::registry* registry = &metrics::registry::global();
  http::readiness* readiness = &http::readiness::global();
};

/// A small HTTP/1.1 server (Boost.Beast) on its own thread, alive from construction to destruction.
///
///   GET /metrics  200, Prometheus text format 0.0.4 (metrics::content_type)
///   GET /healthz  200 "ok" while the process runs
///   GET /readyz   200 "ready" when every readiness check passes, else 503 "not ready: a, b"
///   other paths   404;   other methods 405 (Allow: GET);   unparsable requests 400
///
/// Query strings are ignored. Keep-alive is honoured. Requests are limited to 8 KiB of headers and
/// 64 KiB of body. Errors on a connection close that connection and never reach the caller; the
/// server counts requests in finstream_http_requests_total{path,code}.
///
/// Threads: constructor, port(), address() and stop() may be called from any thread; handlers
/// (rendering, readiness checks) run on the server's own thread, one request at a time.
class server {
public:
  /// Binds and starts serving. Throws std::runtime_error when the address cannot be resolved or
  /// bound (e.g. port in use); the message names the address and port.
  explicit server(server_options options = {});
  /// Stops (see stop()).
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The bound port (the ephemeral one when options.port was 0).
  std::uint16_t port() const noexcept;
  /// The bound address, as text.
  std::string address() const;

  /// Closes the listener and every connection and joins the thread. Idempotent.
  void stop() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream::http
