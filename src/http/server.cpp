// Boost.Beast implementation of the operations HTTP server (contract in server.hpp).
#include "http/server.hpp"

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.hpp"
#include "http/listener.hpp"

namespace finstream::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::uint64_t body_limit = 64 * 1024;

class session;

// State shared by the listener and the sessions. Everything but the options is touched only on the
// io thread (the sessions map, the counters), or is atomic.
struct shared_state {
  server_options options;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  bool stopping = false;
};

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket))
      , state_(std::move(state)) {}

  ~session() { state_->sessions.erase(this); }

  void start() {
    state_->sessions.emplace(this, weak_from_this());
    read_next();
  }

  void close() noexcept {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

private:
  void read_next() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(body_limit);
    stream_.expires_after(state_->options.io_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || state_->stopping)
      return close();
    if (ec) {
      if (ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category())
        return close(); // a socket error: nobody to answer
      // Garbage: answer once, then hang up (the stream cannot be resynchronised).
      bhttp::status st = bhttp::status::bad_request;
      if (ec == bhttp::error::header_limit)
        st = bhttp::status::request_header_fields_too_large;
      else if (ec == bhttp::error::body_limit)
        st = bhttp::status::payload_too_large;
      respond(st, "text/plain; charset=utf-8", std::string{"bad request\n"}, 11, false, "invalid");
      return;
    }
    handle(parser_->get());
  }

  void handle(const bhttp::request<bhttp::string_body>& req) {
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    const bool keep = req.keep_alive();
    std::string_view path_label = target == "/metrics"   ? "/metrics"
                                  : target == "/healthz" ? "/healthz"
                                  : target == "/readyz"  ? "/readyz"
                                                         : "other";
    if (req.method() != bhttp::verb::get)
      return respond(bhttp::status::method_not_allowed, "text/plain; charset=utf-8",
                     "method not allowed\n", req.version(), keep, path_label);
    if (target == "/metrics")
      return respond(bhttp::status::ok, metrics::content_type, state_->options.registry->render(),
                     req.version(), keep, path_label);
    if (target == "/healthz")
      return respond(bhttp::status::ok, "text/plain; charset=utf-8", "ok\n", req.version(), keep,
                     path_label);
    if (target == "/readyz") {
      auto failing = state_->options.readiness->failing();
      if (failing.empty())
        return respond(bhttp::status::ok, "text/plain; charset=utf-8", "ready\n", req.version(),
                       keep, path_label);
      std::string body = "not ready:";
      for (std::size_t i = 0; i < failing.size(); ++i)
        body += (i ? ", " : " ") + failing[i];
      body += '\n';
      return respond(bhttp::status::service_unavailable, "text/plain; charset=utf-8",
                     std::move(body), req.version(), keep, path_label);
    }
    respond(bhttp::status::not_found, "text/plain; charset=utf-8", "not found\n", req.version(),
            keep, path_label);
  }

  void respond(bhttp::status status, std::string_view content_type, std::string body,
               unsigned version, bool keep_alive, std::string_view path_label) {
    count(path_label, status);
    res_ = {};
    res_.version(version == 10 ? 10 : 11);
    res_.result(status);
    res_.set(bhttp::field::server, "finstream");
    res_.set(bhttp::field::content_type, content_type);
    res_.set(bhttp::field::cache_control, "no-store");
    if (status == bhttp::status::method_not_allowed) res_.set(bhttp::field::allow, "GET");
    res_.body() = std::move(body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    stream_.expires_after(state_->options.io_timeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !res_.keep_alive() || state_->stopping) return close();
    read_next();
  }

  void count(std::string_view path, bhttp::status status) noexcept {
    try {
      state_->options.registry
          ->counter(
              "finstream_http_requests_total", "HTTP requests served by the operations endpoint.",
              {{"path", std::string{path}}, {"code", std::to_string(static_cast<int>(status))}})
          .inc();
    } catch (...) {
      // Metrics must never break the endpoint.
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::shared_ptr<shared_state> state_;
};

} // namespace

struct server::impl {
  asio::io_context io{1};
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  tcp::acceptor acceptor{io};
  asio::steady_timer retry_timer{io};
  tcp::endpoint bound;
  std::thread thread;
  std::atomic<bool> stopped{false};
  metrics::callback_handle ready_gauge; // finstream_ready, while this server runs

  void accept() {
    accept_loop(
        acceptor, retry_timer, [st = state] { return st->stopping; },
        [st = state](tcp::socket socket) {
          if (st->sessions.size() >= st->options.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);
          } else {
            std::make_shared<session>(std::move(socket), st)->start();
          }
        },
        "http");
  }
};

server::server(server_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->state->options = std::move(options);
  auto& opts = impl_->state->options;
  if (!opts.registry || !opts.readiness)
    throw std::invalid_argument("http server: registry and readiness must be set");
  impl_->bound = listen_on(impl_->acceptor, opts.address, opts.port, "http server");
  // What /readyz answers, as a series (alerting on readiness needs no probe of its own). One per
  // registry: a second server on the same registry (tests) leaves the first one's in place.
  try {
    impl_->ready_gauge = opts.registry->gauge_callback(
        "finstream_ready", "1 when every readiness check passes (GET /readyz answers 200), else 0",
        {}, [r = opts.readiness] { return r->failing().empty() ? 1.0 : 0.0; });
  } catch (const std::invalid_argument&) {
  }
  impl_->accept();
  impl_->thread = run_io_thread(impl_->io, "http");
  log::info("http", "listening", {{"address", address()}, {"port", port()}});
}

server::~server() {
  stop();
}

std::uint16_t server::port() const noexcept {
  return impl_->bound.port();
}

std::string server::address() const {
  return impl_->bound.address().to_string();
}

void server::stop() noexcept {
  if (impl_->stopped.exchange(true)) return;
  // Close the listener and every connection on the io thread; pending operations then complete
  // with operation_aborted, nothing re-arms, run() drains and returns.
  asio::post(impl_->io, [im = impl_.get()] {
    im->state->stopping = true;
    beast::error_code ec;
    im->acceptor.close(ec);
    im->retry_timer.cancel();
    auto sessions = im->state->sessions; // closing may destroy sessions, which edit the map
    for (auto& [ptr, weak] : sessions)
      if (auto s = weak.lock()) s->close();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

} // namespace finstream::http
