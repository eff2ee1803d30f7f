// Tests of the operations HTTP server over real loopback sockets with a Beast client: endpoints,
// status codes, keep-alive, garbage and slow clients, connection limits, shutdown.
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/server.hpp"

using namespace finstream;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

struct fixture {
  metrics::registry registry;
  http::readiness readiness;

  http::server_options options(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    http::server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.io_timeout = timeout;
    o.registry = &registry;
    o.readiness = &readiness;
    return o;
  }
};

// A connected client socket with a receive timeout, so that a broken server fails the test
// instead of hanging it.
struct client {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  explicit client(std::uint16_t port) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    struct timeval tv {
      10, 0
    };
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  bhttp::response<bhttp::string_body> request(bhttp::verb verb, std::string target,
                                              bool keep_alive = false, std::string body = {}) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    req.keep_alive(keep_alive);
    if (!body.empty()) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    bhttp::write(socket, req);
    return read();
  }

  bhttp::response<bhttp::string_body> read() {
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
  }

  void send_raw(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }

  // True when the server closed the connection (EOF or reset) before sending anything more.
  bool closed_by_peer() {
    char c;
    beast::error_code ec;
    socket.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

bhttp::response<bhttp::string_body> get(std::uint16_t port, const std::string& target) {
  client c{port};
  return c.request(bhttp::verb::get, target);
}

} // namespace

TEST_CASE_METHOD(fixture, "GET /healthz, /metrics and unknown paths") {
  registry.counter("finstream_rows_written_total", "Rows.", {{"table", "ti"}}).inc(3);
  http::server srv{options()};
  REQUIRE(srv.port() != 0);
  CHECK(srv.address() == "127.0.0.1");

  auto health = get(srv.port(), "/healthz");
  CHECK(health.result() == bhttp::status::ok);
  CHECK(health.body() == "ok\n");

  auto m = get(srv.port(), "/metrics");
  CHECK(m.result() == bhttp::status::ok);
  CHECK(m[bhttp::field::content_type] == metrics::content_type);
  CHECK(m.body().find("# TYPE finstream_rows_written_total counter\n"
                      "finstream_rows_written_total{table=\"ti\"} 3\n") != std::string::npos);
  // The query string is ignored.
  CHECK(get(srv.port(), "/metrics?x=1").result() == bhttp::status::ok);

  CHECK(get(srv.port(), "/nope").result() == bhttp::status::not_found);
  CHECK(get(srv.port(), "/metricsx").result() == bhttp::status::not_found);

  // The server counts what it served (rendered by the next scrape).
  auto again = get(srv.port(), "/metrics");
  CHECK(again.body().find("finstream_http_requests_total{code=\"200\",path=\"/healthz\"} 1\n") !=
        std::string::npos);
  CHECK(again.body().find("finstream_http_requests_total{code=\"404\",path=\"other\"} 2\n") !=
        std::string::npos);
}

TEST_CASE_METHOD(fixture, "non-GET methods get 405 with Allow: GET") {
  http::server srv{options()};
  client c{srv.port()};
  auto res = c.request(bhttp::verb::post, "/metrics", false, "payload");
  CHECK(res.result() == bhttp::status::method_not_allowed);
  CHECK(res[bhttp::field::allow] == "GET");
  client d{srv.port()};
  CHECK(d.request(bhttp::verb::delete_, "/healthz").result() == bhttp::status::method_not_allowed);
}

TEST_CASE_METHOD(fixture, "/readyz follows the registered checks") {
  http::server srv{options()};
  // No check registered: ready.
  CHECK(get(srv.port(), "/readyz").result() == bhttp::status::ok);

  std::atomic<bool> kafka_ok{false};
  auto k = readiness.add("kafka", [&] { return kafka_ok.load(); });
  auto p1 = readiness.add("postgres", [] { return true; });
  auto p2 = readiness.add("postgres", []() -> bool { throw std::runtime_error("down"); });
  auto r = get(srv.port(), "/readyz");
  CHECK(r.result() == bhttp::status::service_unavailable);
  CHECK(r.body() == "not ready: kafka, postgres\n");

  kafka_ok = true;
  r = get(srv.port(), "/readyz");
  CHECK(r.result() == bhttp::status::service_unavailable);
  CHECK(r.body() == "not ready: postgres\n");

  p2.reset();
  r = get(srv.port(), "/readyz");
  CHECK(r.result() == bhttp::status::ok);
  CHECK(r.body() == "ready\n");
  // Healthz does not depend on readiness.
  kafka_ok = false;
  CHECK(get(srv.port(), "/healthz").result() == bhttp::status::ok);
  CHECK(get(srv.port(), "/readyz").result() == bhttp::status::service_unavailable);
}

TEST_CASE_METHOD(fixture, "keep-alive connections serve several requests") {
  http::server srv{options()};
  client c{srv.port()};
  for (int i = 0; i < 3; ++i) {
    auto res = c.request(bhttp::verb::get, "/healthz", true);
    CHECK(res.result() == bhttp::status::ok);
    CHECK(res.keep_alive());
  }
  auto last = c.request(bhttp::verb::get, "/healthz", false);
  CHECK_FALSE(last.keep_alive());
  CHECK(c.closed_by_peer());
}

TEST_CASE_METHOD(fixture, "garbage requests get 400 and the connection is closed") {
  http::server srv{options()};
  {
    client c{srv.port()};
    c.send_raw("\x16\x03\x01 this is not http\r\n\r\n");
    auto res = c.read();
    CHECK(res.result() == bhttp::status::bad_request);
    CHECK(c.closed_by_peer());
  }
  {
    client c{srv.port()};
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
               "\r\n\r\n");
    CHECK(c.read().result() == bhttp::status::request_header_fields_too_large);
  }
  {
    client c{srv.port()};
    c.send_raw("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc");
    CHECK(c.read().result() == bhttp::status::payload_too_large);
  }
  {
    client c{srv.port()};
    c.send_raw("GET /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
    CHECK(c.read().result() == bhttp::status::bad_request);
  }
  // Still serving.
  CHECK(get(srv.port(), "/healthz").result() == bhttp::status::ok);
}

TEST_CASE_METHOD(fixture, "slow and idle clients are disconnected after the timeout") {
  http::server srv{options(std::chrono::milliseconds(300))};
  client slow{srv.port()};
  slow.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // never finishes the headers
  client idle{srv.port()};                               // never sends anything
  auto t0 = std::chrono::steady_clock::now();
  CHECK(slow.closed_by_peer());
  CHECK(idle.closed_by_peer());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  // A client that behaves is still served.
  CHECK(get(srv.port(), "/healthz").result() == bhttp::status::ok);
}

TEST_CASE_METHOD(fixture, "connections beyond max_connections are closed at once") {
  auto o = options();
  o.max_connections = 2;
  http::server srv{o};
  client a{srv.port()};
  client b{srv.port()};
  // Make sure both are accepted and registered before the third arrives.
  CHECK(a.request(bhttp::verb::get, "/healthz", true).result() == bhttp::status::ok);
  CHECK(b.request(bhttp::verb::get, "/healthz", true).result() == bhttp::status::ok);
  client c{srv.port()};
  CHECK(c.closed_by_peer());
  // Once one leaves, there is room again.
  a.socket.close();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    try {
      served = get(srv.port(), "/healthz").result() == bhttp::status::ok;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  CHECK(served);
}

TEST_CASE_METHOD(fixture, "a used port is a clear error, stop closes open connections") {
  http::server srv{options()};
  auto o = options();
  o.port = srv.port();
  try {
    http::server clash{o};
    FAIL("binding a used port must throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string{e.what()}.find("127.0.0.1:" + std::to_string(srv.port())) !=
          std::string::npos);
  }
  client idle{srv.port()};
  CHECK(idle.request(bhttp::verb::get, "/healthz", true).result() == bhttp::status::ok);
  auto t0 = std::chrono::steady_clock::now();
  srv.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(idle.closed_by_peer());
  srv.stop();                       // idempotent
  CHECK_THROWS(client{srv.port()}); // nobody listens any more
}
