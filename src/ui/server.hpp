// The chart page's HTTP listener: its own port, apart from the operations endpoint (http/server),
// serving requests concurrently on a small pool of worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "metrics/metrics.hpp"
#include "ui/app.hpp"

namespace finstream::ui {

struct server_options {
  /// Address to bind (an IPv4/IPv6 literal or host name); loopback by default: the page has no
  /// authentication.
  std::string address = "127.0.0.1";
  /// TCP port; 0 = an ephemeral port chosen by the kernel (see server::port()).
  std::uint16_t port = 0;
  /// Threads that build pages (each holds at most one PostgreSQL connection at a time).
  std::size_t workers = 4;
  /// Longest time a client may take to send a request or receive a response.
  std::chrono::milliseconds io_timeout{15000};
  /// Connections beyond this many are closed right after accept.
  std::size_t max_connections = 64;
  app_options app;
  metrics::registry* registry = &metrics::registry::global();
};

/// HTTP/1.1 (Boost.Beast). One network thread accepts, reads and writes; each request is built on
/// one of `workers` threads, so a slow query delays only its own request (and never the
/// operations endpoint, which is another listener on other threads). GET and HEAD only (else 405);
/// requests limited to 8 KiB of headers and 64 KiB of body. Every response carries a
/// Content-Security-Policy that allows nothing from elsewhere. Counts
/// finstream_ui_requests_total{path,code}.
///
/// Threads: constructor, port(), url() and stop() may be called from any thread.
class server {
public:
  /// Binds and starts. Throws std::runtime_error naming address and port when it cannot listen.
  explicit server(server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const noexcept;
  /// http://ADDRESS:PORT/ (an IPv6 address in brackets).
  std::string url() const;
  /// Closes the listener and every connection, waits for requests being built. Idempotent.
  void stop() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream::ui
