// Boost.Beast implementation of the chart page's listener (contract in server.hpp).
#include "ui/server.hpp"

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.hpp"
#include "http/listener.hpp"

namespace finstream::ui {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* security_policy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' "
    "data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

class session;

// Shared by the listener and the sessions. `sessions` and `stopping` are touched only on the
// network thread; `app` is thread-safe; `workers` outlives every posted job (joined in stop()).
struct shared_state {
  server_options options;
  std::unique_ptr<ui::app> app;
  asio::thread_pool* workers = nullptr;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  bool stopping = false;
};

constexpr const char* requests_help = "HTTP requests served by the chart page.";

void count(const shared_state& st, std::string_view target, int code) noexcept {
  try {
    std::string_view path = target.substr(0, target.find('?'));
    std::string label = path == "/" ? "/" : path.rfind("/chart/", 0) == 0 ? "/chart" : "other";
    st.options.registry
        ->counter("finstream_ui_requests_total", requests_help,
                  {{"path", label}, {"code", std::to_string(code)}})
        .inc();
  } catch (...) {
    // Metrics must never break the page.
  }
}

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
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(state_->options.io_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec || state_->stopping) {
      if (ec && ec != bhttp::error::end_of_stream && ec != beast::error::timeout &&
          ec != asio::error::operation_aborted && !state_->stopping &&
          ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
        return respond(11, false, false, "", {400, "text/plain; charset=utf-8", "bad request\n"});
      return close();
    }
    auto& req = parser_->get();
    const unsigned version = req.version();
    const bool keep = req.keep_alive();
    const bool head = req.method() == bhttp::verb::head;
    std::string target{req.target()};
    if (req.method() != bhttp::verb::get && !head)
      return respond(version, keep, false, target,
                     {405, "text/plain; charset=utf-8", "method not allowed\n"});
    // Build the page on a worker; answer on the network thread.
    stream_.expires_never();
    asio::post(*state_->workers, [self = shared_from_this(), version, keep, head,
                                  target = std::move(target)]() mutable {
      ui::response res = self->state_->app->handle(target);
      // The session is handed back whole: its last reference is dropped on the network thread.
      auto ex = self->stream_.get_executor();
      asio::post(ex, [self = std::move(self), version, keep, head, target = std::move(target),
                      res = std::move(res)]() mutable {
        if (self->state_->stopping) return self->close();
        self->respond(version, keep, head, target, std::move(res));
      });
    });
  }

  void respond(unsigned version, bool keep_alive, bool head, const std::string& target,
               ui::response r) {
    count(*state_, target, r.status);
    res_ = {};
    res_.version(version == 10 ? 10 : 11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::server, "finstream");
    res_.set(bhttp::field::content_type, r.content_type);
    res_.set(bhttp::field::cache_control, "no-store");
    res_.set("Content-Security-Policy", security_policy);
    res_.set("X-Content-Type-Options", "nosniff");
    if (r.status == 405) res_.set(bhttp::field::allow, "GET, HEAD");
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    if (head) res_.body().clear(); // Content-Length stays that of the GET
    stream_.expires_after(state_->options.io_timeout);
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !res_.keep_alive() || state_->stopping) return close();
    read_next();
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
  std::unique_ptr<asio::thread_pool> workers;
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  tcp::acceptor acceptor{io};
  asio::steady_timer retry_timer{io};
  tcp::endpoint bound;
  std::thread thread;
  std::atomic<bool> stopped{false};

  void accept() {
    http::accept_loop(
        acceptor, retry_timer, [st = state] { return st->stopping; },
        [st = state](tcp::socket socket) {
          if (st->sessions.size() >= st->options.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);
          } else {
            std::make_shared<session>(std::move(socket), st)->start();
          }
        },
        "ui");
  }
};

server::server(server_options options)
    : impl_(std::make_unique<impl>()) {
  if (options.workers == 0) throw std::invalid_argument("ui server: workers must be > 0");
  if (!options.registry) throw std::invalid_argument("ui server: registry must be set");
  impl_->state->options = std::move(options);
  auto& opts = impl_->state->options;
  impl_->state->app = std::make_unique<ui::app>(opts.app);
  impl_->workers = std::make_unique<asio::thread_pool>(opts.workers);
  impl_->state->workers = impl_->workers.get();
  // On failure the pool's destructor stops and joins its threads.
  // The successful requests' series exist from the start (at 0), so that rates see them at once.
  for (const char* path : {"/", "/chart", "other"})
    opts.registry->counter("finstream_ui_requests_total", requests_help,
                           {{"path", path}, {"code", "200"}});
  impl_->bound = http::listen_on(impl_->acceptor, opts.address, opts.port, "chart page");
  impl_->accept();
  impl_->thread = http::run_io_thread(impl_->io, "ui");
  log::info("ui", "listening", {{"url", url()}});
}

server::~server() {
  stop();
}

std::uint16_t server::port() const noexcept {
  return impl_->bound.port();
}

std::string server::url() const {
  auto a = impl_->bound.address();
  std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  if (a.is_unspecified()) host = a.is_v6() ? "[::1]" : "127.0.0.1";
  return "http://" + host + ":" + std::to_string(port()) + "/";
}

void server::stop() noexcept {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [this] {
    impl_->state->stopping = true;
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->retry_timer.cancel();
    auto sessions = impl_->state->sessions; // closing may destroy sessions, which edit the map
    for (auto& [ptr, weak] : sessions)
      if (auto s = weak.lock()) s->close();
  });
  // Requests being built finish (bounded by the statement timeout); their answers are dropped.
  impl_->workers->join();
  if (impl_->thread.joinable()) impl_->thread.join();
}

} // namespace finstream::ui
