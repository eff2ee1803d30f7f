// Binding, accept loop and network thread of the HTTP listeners (see listener.hpp).
#include "http/listener.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>

#include "core/log.hpp"

namespace finstream::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::endpoint listen_on(tcp::acceptor& acceptor, const std::string& address, std::uint16_t port,
                        std::string_view what) {
  try {
    tcp::resolver resolver{acceptor.get_executor()};
    auto results = resolver.resolve(address, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    if (results.empty()) throw std::runtime_error("no address");
    tcp::endpoint ep = results.begin()->endpoint();
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor.local_endpoint();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{what} + ": cannot listen on " + address + ":" +
                             std::to_string(port) + ": " + e.what());
  }
}

namespace {

struct accept_state {
  tcp::acceptor& acceptor;
  asio::steady_timer& retry;
  std::function<bool()> stopping;
  std::function<void(tcp::socket)> on_socket;
  const char* role;
};

void accept_next(const std::shared_ptr<accept_state>& st) {
  st->acceptor.async_accept([st](boost::system::error_code ec, tcp::socket socket) {
    if (st->stopping()) return;
    if (ec) {
      log::warn(st->role, "accept_failed", {{"error", ec.message()}});
      st->retry.expires_after(std::chrono::milliseconds(100));
      st->retry.async_wait([st](boost::system::error_code) {
        if (!st->stopping()) accept_next(st);
      });
      return;
    }
    st->on_socket(std::move(socket));
    accept_next(st);
  });
}

} // namespace

void accept_loop(tcp::acceptor& acceptor, asio::steady_timer& retry, std::function<bool()> stopping,
                 std::function<void(tcp::socket)> on_socket, const char* role) {
  accept_next(std::make_shared<accept_state>(
      accept_state{acceptor, retry, std::move(stopping), std::move(on_socket), role}));
}

std::thread run_io_thread(asio::io_context& io, const char* role) {
  return std::thread([&io, role] {
    for (;;) {
      try {
        io.run();
        return; // no work left: stopped
      } catch (const std::exception& e) {
        log::error(role, "handler_failed", {{"error", e.what()}});
      } catch (...) {
        log::error(role, "handler_failed");
      }
    }
  });
}

} // namespace finstream::http
