// What the HTTP listeners of a finstream process share (the operations endpoint, the chart page):
// binding, the accept loop, and the network thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace finstream::http {

/// Resolves `address`:`port` (passive; "0.0.0.0" = all), opens, binds with SO_REUSEADDR and
/// listens. Returns the bound endpoint (the kernel's port when `port` is 0). Throws
/// std::runtime_error("<what>: cannot listen on ADDRESS:PORT: <reason>").
boost::asio::ip::tcp::endpoint listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                                         const std::string& address, std::uint16_t port,
                                         std::string_view what);

/// Accepts connections on the acceptor's executor, handing each to `on_socket`, until
/// `stopping()` is true. An accept error (e.g. EMFILE) is logged as `<role>` accept_failed and
/// retried 100 ms later on `retry`: the listener stays up. Every callback runs on the executor's
/// thread; acceptor, timer and callbacks must outlive the loop (close the acceptor and cancel the
/// timer to end it).
void accept_loop(boost::asio::ip::tcp::acceptor& acceptor, boost::asio::steady_timer& retry,
                 std::function<bool()> stopping,
                 std::function<void(boost::asio::ip::tcp::socket)> on_socket, const char* role);

/// A thread running io.run() until it has no work left. A handler that throws is logged as
/// `<role>` handler_failed and the loop goes on.
std::thread run_io_thread(boost::asio::io_context& io, const char* role);

} // namespace finstream::http
