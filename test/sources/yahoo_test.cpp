// Tests of the Yahoo chart client against the in-process replay server: recorded exchanges for
// every market kind, every failure path (requests, retries, final outcome), limits, TLS.
#include "sources/yahoo.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "metrics/metrics.hpp"
#include "sources/bar_files.hpp"
#include "sources/recording.hpp"
#include "sources/yahoo_replay.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace std::chrono_literals;
using finstream::test::yahoo_replay;

namespace {

day_t d(const char* text) {
  return *parse_date(text);
}

/// Options for fast tests: no rate limit to speak of, millisecond backoffs.
yahoo_options fast(const std::string& url) {
  yahoo_options o;
  o.base_url = url;
  o.rate_per_second = 1000;
  o.burst = 1000;
  o.backoff_base = 5ms;
  o.backoff_max = 20ms;
  o.connect_timeout = 2s;
  o.read_timeout = 2s;
  o.max_attempts = 4;
  o.breaker.threshold = 1000;
  return o;
}

yahoo_replay::options replay_options() {
  yahoo_replay::options o;
  o.data_dir = test::yahoo_chart_dir();
  return o;
}

struct setup {
  metrics::registry registry;
  yahoo_replay server;
  std::unique_ptr<source_factory> factory;

  explicit setup(yahoo_replay::options ro = replay_options())
      : server(std::move(ro)) {}

  source_factory& make_factory(yahoo_options o) {
    source_options so;
    so.spec = "yahoo";
    so.yahoo = std::move(o);
    so.metrics = &registry;
    factory = std::make_unique<source_factory>(so);
    return *factory;
  }
  std::unique_ptr<source> client(yahoo_options o) { return make_factory(std::move(o)).make(); }
  std::unique_ptr<source> client() { return client(fast(server.base_url())); }

  double requests_with_status(const std::string& status) {
    return registry
        .counter("finstream_source_requests_total", "", {{"source", "yahoo"}, {"status", status}})
        .value();
  }
};

/// What the recorded body holds within [from, to] (parsed by the tested reader).
bar_series recorded(const std::string& file, day_t from, day_t to) {
  read_report r;
  auto s = parse_yahoo_chart(test::fixture_body(file), file, r);
  auto outside = [&](const auto& e) { return e.date < from || e.date > to; };
  s.bars.erase(std::remove_if(s.bars.begin(), s.bars.end(), outside), s.bars.end());
  s.splits.erase(std::remove_if(s.splits.begin(), s.splits.end(), outside), s.splits.end());
  s.dividends.erase(std::remove_if(s.dividends.begin(), s.dividends.end(), outside),
                    s.dividends.end());
  return s;
}

bar_series ok(const fetch_result& r) {
  if (auto* e = std::get_if<fetch_error>(&r))
    FAIL("fetch failed: " << to_string(e->kind) << ": " << e->reason);
  return std::get<bar_series>(r);
}

fetch_error failed(const fetch_result& r) {
  if (std::holds_alternative<bar_series>(r)) FAIL("fetch succeeded but should have failed");
  return std::get<fetch_error>(r);
}

} // namespace

TEST_CASE("yahoo helpers: base URL, percent-encoding, chart target, Retry-After", "[yahoo]") {
  auto t = parse_base_url("https://query2.finance.yahoo.com");
  CHECK(t.tls);
  CHECK(t.host == "query2.finance.yahoo.com");
  CHECK(t.port == "443");
  CHECK(t.prefix.empty());
  t = parse_base_url("http://127.0.0.1:8080/mirror/");
  CHECK_FALSE(t.tls);
  CHECK(t.port == "8080");
  CHECK(t.prefix == "/mirror");
  t = parse_base_url("http://[::1]:9000");
  CHECK(t.host == "::1");
  CHECK(t.port == "9000");
  CHECK_THROWS_AS(parse_base_url("ftp://x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_base_url("https://user:pw@host"), std::invalid_argument);
  CHECK_THROWS_AS(parse_base_url("http://host:99999"), std::invalid_argument);
  CHECK_THROWS_AS(parse_base_url("http://ho st"), std::invalid_argument);

  CHECK(percent_encode("^GSPC") == "%5EGSPC");
  CHECK(percent_encode("EURUSD=X") == "EURUSD%3DX");
  CHECK(percent_encode("BRK-B") == "BRK-B");
  CHECK(percent_encode("0P000071W8.TO") == "0P000071W8.TO");

  // 2020-01-01 .. 2020-01-03 → period1 one day before, period2 two days after.
  CHECK(chart_target(parse_base_url("https://h"), "GC=F", d("2020-01-01"), d("2020-01-03")) ==
        "/v8/finance/chart/GC%3DF?period1=1577750400&period2=1578182400&interval=1d"
        "&events=div%7Csplit");

  CHECK(parse_retry_after("7", 0) == 7s);
  CHECK(parse_retry_after(" 120 ", 0) == 120s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10s);
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490) == 0s);
  CHECK_FALSE(parse_retry_after("soon", 0));
  CHECK_FALSE(parse_retry_after("", 0));
}

TEST_CASE("yahoo: recorded exchanges for every market kind, one request each", "[yahoo]") {
  setup s;
  auto client = s.client();
  struct c {
    const char* symbol;
    const char* file;
    const char* from;
    const char* to;
  };
  const std::vector<c> cases = {
      {"AAPL", "chart-AAPL-2020-08-31-to-2020-11-07.json", "2020-08-31", "2020-11-06"}, // US
      {"OCDO.L", "chart-OCDO.L-2020-01-01-to-2020-01-03.json", "2020-01-01",
       "2020-01-03"}, // London
      {"WSKT.JK", "chart-WSKT.JK-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"AZT.OL", "chart-AZT.OL-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"ORSTED.CO", "chart-ORSTED.CO-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"WSU.DE", "chart-WSU.DE-2023-08-04-to-2023-08-09.json", "2023-08-01", "2023-08-09"},
      {"BTC-USD", "chart-BTC-USD-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"EURUSD=X", "chart-EURUSD=X-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"GC=F", "chart-GC=F-2020-01-01-to-2020-01-03.json", "2020-01-01", "2020-01-03"},
      {"0P000071W8.TO", "chart-0P000071W8.TO-2020-01-01-to-2020-01-03.json", "2020-01-01",
       "2020-01-03"},
      {"MSFT", "historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.csv.json",
       "2021-02-01", "2022-01-31"},
      {"NVDA", "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.csv.json", "2021-02-01",
       "2022-01-31"},
  };
  for (const auto& k : cases) {
    INFO(k.symbol);
    const auto before = s.server.request_count();
    auto r = client->fetch(k.symbol, d(k.from), d(k.to));
    const auto got = ok(r);
    const auto want = recorded(k.file, d(k.from), d(k.to));
    CHECK(s.server.request_count() == before + 1);
    CHECK(got.symbol == k.symbol);
    CHECK(got.meta.timezone == want.meta.timezone);
    CHECK(got.meta.currency == want.meta.currency);
    CHECK(got.meta.exchange == want.meta.exchange);
    REQUIRE(got.bars.size() == want.bars.size());
    REQUIRE_FALSE(got.bars.empty());
    CHECK(got.bars == want.bars);
    CHECK(got.dividends.size() == want.dividends.size());
    CHECK(got.splits.size() == want.splits.size());
  }
  // The request carries what Yahoo needs.
  const auto log = s.server.requests();
  const auto& eur =
      *std::find_if(log.begin(), log.end(), [](auto& r) { return r.symbol == "EURUSD=X"; });
  CHECK(eur.target.find("/v8/finance/chart/EURUSD%3DX?period1=") == 0);
  CHECK(eur.target.find("&interval=1d&events=div%7Csplit") != std::string::npos);
  CHECK(eur.user_agent == yahoo_options{}.user_agent);
  CHECK(eur.user_agent.find("Mozilla/5.0") == 0);
  CHECK(eur.host_header == "127.0.0.1:" + std::to_string(s.server.port()));
  // 7 days a week for crypto: 2020-01-01 (a holiday elsewhere) is a bar.
  CHECK(s.requests_with_status("200") == double(cases.size()));
}

TEST_CASE("yahoo: TSLA 2010-2023 in one request, exactly the recorded bars", "[yahoo]") {
  setup s;
  auto client = s.client();
  auto r = client->fetch("TSLA", d("2010-01-01"), d("2023-12-31"));
  const auto got = ok(r);
  read_report rep;
  auto want = parse_yahoo_chart(
      test::fixture_body("historical-via-chart-dividends-TSLA-no-dividends.json"), "tsla", rep);
  CHECK(got.bars.size() == 3303);
  CHECK(got.bars == want.bars);
  CHECK(s.server.request_count() == 1);
}

TEST_CASE("yahoo: window trimmed to [from, to], events only inside it", "[yahoo]") {
  setup s;
  auto client = s.client();
  // The request window is widened; Yahoo's extra bars (here 2020-01-03) are trimmed.
  auto r = client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-02"));
  const auto btc = ok(r);
  REQUIRE(btc.bars.size() == 2);
  CHECK(format_date(btc.bars.back().date) == "2020-01-02");
  CHECK(s.server.requests().back().period2 > day_start_epoch(d("2020-01-03")));

  auto msft = client->fetch("MSFT", d("2021-05-01"), d("2021-09-30"));
  REQUIRE(ok(msft).dividends.size() == 2);
  CHECK(format_date(ok(msft).dividends[0].date) == "2021-05-19");
  CHECK(format_date(ok(msft).dividends[1].date) == "2021-08-18");
  CHECK(format_date(ok(msft).bars.front().date) == "2021-05-03");
  CHECK(format_date(ok(msft).bars.back().date) == "2021-09-30");

  auto nvda = client->fetch("NVDA", d("2021-07-19"), d("2021-07-21"));
  REQUIRE(ok(nvda).splits.size() == 1);
  CHECK(ok(nvda).bars.size() == 3);
  auto after = client->fetch("NVDA", d("2021-07-21"), d("2021-08-31"));
  CHECK(ok(after).splits.empty());
}

TEST_CASE("yahoo: the bar of a session that has not closed is dropped", "[yahoo]") {
  setup s;
  auto client = s.client();
  auto full = client->fetch("AAPL", d("2020-08-31"), d("2020-11-06"));
  s.server.script("AAPL", "open-session");
  auto live = client->fetch("AAPL", d("2020-08-31"), d("2020-11-06"));
  REQUIRE(ok(full).bars.size() == 49);
  REQUIRE(ok(live).bars.size() == 48);
  CHECK(ok(live).bars.back() == ok(full).bars[47]);
  // The session's dividend (2020-11-06) goes with its bar.
  CHECK(ok(full).dividends.size() == 1);
  CHECK(ok(live).dividends.empty());
}

TEST_CASE("yahoo: empty range is a success with no bars", "[yahoo]") {
  setup s;
  auto client = s.client();
  s.server.script("AAPL", "empty");
  auto r = client->fetch("AAPL", d("2020-09-05"), d("2020-09-06"));
  CHECK(ok(r).bars.empty());
  CHECK(ok(r).meta.timezone == "America/New_York");
  CHECK(s.server.request_count() == 1);
  // A real weekend window on the recording is empty too.
  auto weekend = client->fetch("AAPL", d("2020-09-05"), d("2020-09-06"));
  CHECK(ok(weekend).bars.empty());
}

TEST_CASE("yahoo: permanent failures are not retried", "[yahoo]") {
  setup s;
  auto client = s.client();
  SECTION("404 with Yahoo's error body → not_found") {
    s.server.script("AAPL", "404");
    const auto e = failed(client->fetch("AAPL", d("2020-09-01"), d("2020-09-30")));
    CHECK(e.kind == fetch_error_kind::not_found);
    CHECK(is_permanent(e.kind));
    CHECK(e.http_status == 404);
    CHECK(e.attempts == 1);
    CHECK(e.reason == "symbol not found: No data found, symbol may be delisted");
    CHECK(s.server.request_count() == 1);
  }
  SECTION("unknown symbol → not_found") {
    const auto e = failed(client->fetch("^GSPC", d("2020-09-01"), d("2020-09-30")));
    CHECK(e.kind == fetch_error_kind::not_found);
    CHECK(s.server.requests().at(0).target.find("/chart/%5EGSPC?") != std::string::npos);
    CHECK(s.server.requests().at(0).symbol == "^GSPC");
    CHECK(s.server.request_count() == 1);
  }
  SECTION("422 → bad_request") {
    s.server.script("AAPL", "422");
    const auto e = failed(client->fetch("AAPL", d("2020-09-01"), d("2020-09-30")));
    CHECK(e.kind == fetch_error_kind::bad_request);
    CHECK(e.http_status == 422);
    CHECK(e.attempts == 1);
    CHECK(e.reason.find("Unprocessable Entity") != std::string::npos);
    CHECK(s.server.request_count() == 1);
  }
  SECTION("an invalid symbol → bad_request without a request") {
    const auto e = failed(client->fetch("AAPL/../x", d("2020-09-01"), d("2020-09-30")));
    CHECK(e.kind == fetch_error_kind::bad_request);
    CHECK(e.attempts == 0);
    CHECK(s.server.request_count() == 0);
  }
  SECTION("from > to → bad_request without a request") {
    const auto e = failed(client->fetch("AAPL", d("2020-09-30"), d("2020-09-01")));
    CHECK(e.kind == fetch_error_kind::bad_request);
    CHECK(e.attempts == 0);
    CHECK(s.server.request_count() == 0);
  }
}

TEST_CASE("yahoo: each transient failure is retried, then succeeds", "[yahoo]") {
  struct c {
    const char* script;
    std::size_t requests;
    const char* status_label; // metrics label of the failed request
  };
  const std::vector<c> cases = {
      {"429", 2, "429"},
      {"403", 2, "403"},
      {"500", 2, "500"},
      {"500, 500", 3, "500"},
      {"html", 2, "503"},
      {"html200", 2, "200"},
      {"truncated", 2, "truncated"},
      {"cut-json", 2, "200"},
      {"invalid-json", 2, "200"},
      {"close", 2, "network_error"},
      {"delay:1500", 2, "timeout"},
  };
  for (const auto& k : cases) {
    INFO(k.script);
    setup s;
    auto o = fast(s.server.base_url());
    o.read_timeout = 500ms;
    auto client = s.client(o);
    s.server.script("BTC-USD", k.script);
    auto r = client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03"));
    CHECK(ok(r).bars.size() == 3);
    CHECK(s.server.request_count() == k.requests);
    CHECK(s.requests_with_status(k.status_label) >= 1);
    CHECK(s.registry.counter("finstream_source_retries_total", "", {{"source", "yahoo"}}).value() ==
          double(k.requests - 1));
  }
}

TEST_CASE("yahoo: transient failures give up after max_attempts with the reason", "[yahoo]") {
  struct c {
    const char* step;
    fetch_error_kind kind;
    const char* reason_part;
    int status;
  };
  const std::vector<c> cases = {
      {"429", fetch_error_kind::throttled, "HTTP 429 (text/plain;charset=utf-8): Too Many Requests",
       429},
      {"500", fetch_error_kind::server_error, "internal-error: Something went wrong", 500},
      {"html", fetch_error_kind::server_error, "HTTP 503 with an HTML page", 503},
      {"html200", fetch_error_kind::server_error, "HTTP 200 with an HTML page", 200},
      {"truncated", fetch_error_kind::garbled, "truncated answer", 0},
      {"cut-json", fetch_error_kind::garbled, "invalid JSON", 200},
      {"invalid-json", fetch_error_kind::garbled, "invalid JSON", 200},
      {"close", fetch_error_kind::network, "connection to 127.0.0.1 failed", 0},
      {"delay:1000", fetch_error_kind::timeout, "no complete answer within 300 ms", 0},
  };
  for (const auto& k : cases) {
    INFO(k.step);
    setup s;
    auto o = fast(s.server.base_url());
    o.read_timeout = 300ms;
    o.max_attempts = 3;
    auto client = s.client(o);
    s.server.script("BTC-USD", std::string(k.step) + "," + k.step + "," + k.step + ",ok");
    const auto e = failed(client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
    CHECK(e.kind == k.kind);
    CHECK_FALSE(is_permanent(e.kind));
    CHECK(e.attempts == 3);
    CHECK(e.http_status == k.status);
    CHECK(e.reason.rfind("gave up after 3 attempts: ", 0) == 0);
    CHECK(e.reason.find(k.reason_part) != std::string::npos);
    CHECK(s.server.request_count() == 3);
  }
}

TEST_CASE("yahoo: Retry-After is honoured, and too long a wait ends the fetch", "[yahoo]") {
  setup s;
  auto client = s.client();
  s.server.script("BTC-USD", "429:1, ok");
  const auto t0 = steady_clock::now();
  auto r = client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03"));
  CHECK(ok(r).bars.size() == 3);
  CHECK(steady_clock::now() - t0 >= 1s);
  CHECK(s.server.request_count() == 2);

  s.server.reset();
  auto o = fast(s.server.base_url());
  o.max_retry_after = 2s;
  auto strict = s.client(o);
  s.server.script("BTC-USD", "429:3600");
  const auto t1 = steady_clock::now();
  const auto e = failed(strict->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(steady_clock::now() - t1 < 1s);
  CHECK(e.kind == fetch_error_kind::throttled);
  CHECK(e.attempts == 1);
  CHECK(e.reason.find("Retry-After") != std::string::npos);
  CHECK(s.server.request_count() == 1);
}

TEST_CASE("yahoo: exponential backoff grows between retries", "[yahoo]") {
  setup s;
  auto o = fast(s.server.base_url());
  o.backoff_base = 100ms;
  o.backoff_max = 1s;
  auto client = s.client(o);
  s.server.script("BTC-USD", "500, 500, 500, ok");
  const auto t0 = steady_clock::now();
  auto r = client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03"));
  const auto elapsed = steady_clock::now() - t0;
  CHECK(ok(r).bars.size() == 3);
  // Waits in [50, 100] + [100, 200] + [200, 400] ms.
  CHECK(elapsed >= 350ms);
  CHECK(elapsed < 1500ms);
}

TEST_CASE("yahoo: connection refused is a network error after the retry budget", "[yahoo]") {
  unsigned short port;
  {
    yahoo_replay gone(replay_options());
    port = gone.port();
  }
  metrics::registry reg;
  source_options so;
  so.spec = "yahoo";
  so.yahoo = fast("http://127.0.0.1:" + std::to_string(port));
  so.metrics = &reg;
  auto client = source_factory(so).make();
  const auto e = failed(client->fetch("AAPL", d("2020-01-01"), d("2020-01-03")));
  CHECK(e.kind == fetch_error_kind::network);
  CHECK(e.attempts == 4);
  CHECK(e.reason.find("cannot connect to 127.0.0.1") != std::string::npos);
}

TEST_CASE("yahoo: keep-alive reuses one connection for many fetches", "[yahoo]") {
  setup s;
  auto client = s.client();
  for (int i = 0; i < 3; ++i)
    ok(client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(s.server.request_count() == 3);
  CHECK(s.server.connection_count() == 1);
  CHECK(static_cast<yahoo_source&>(*client).connections_opened() == 1);
  for (const auto& r : s.server.requests())
    CHECK(r.connection == 1);
  // After a failure that closes the connection, the next fetch opens a new one.
  s.server.script("BTC-USD", "truncated, ok");
  ok(client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(s.server.connection_count() == 2);
  CHECK(s.server.request_count() == 5);
  auto retries = [&] {
    return s.registry.counter("finstream_source_retries_total", "", {{"source", "yahoo"}}).value();
  };
  CHECK(retries() == 1);
  // A kept-alive connection the server closed meanwhile is replaced at once: the request is sent
  // again on a new connection, without counting as a failed attempt.
  s.server.script("BTC-USD", "close");
  ok(client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(s.server.request_count() == 7);
  CHECK(s.server.connection_count() == 3);
  CHECK(retries() == 1);
}

TEST_CASE("yahoo: TLS with the CA option works, without it verification fails", "[yahoo]") {
  const auto dir = std::filesystem::temp_directory_path() / test::unique_name("src_tls");
  auto [cert, key] = test::make_self_signed_cert(dir.string());
  auto ro = replay_options();
  ro.cert_file = cert;
  ro.key_file = key;
  setup s(ro);
  REQUIRE(s.server.base_url().rfind("https://localhost:", 0) == 0);

  auto o = fast(s.server.base_url());
  o.ca_file = cert;
  auto trusted = s.client(o);
  auto r = trusted->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03"));
  CHECK(ok(r).bars.size() == 3);
  CHECK(s.server.request_count() == 1);
  ok(trusted->fetch("OCDO.L", d("2020-01-01"), d("2020-01-03")));
  CHECK(static_cast<yahoo_source&>(*trusted).connections_opened() == 1);
  CHECK(s.server.requests().at(0).sni == "localhost"); // SNI sent for host names

  // The IP literal is in the certificate too.
  auto ip = fast("https://127.0.0.1:" + std::to_string(s.server.port()));
  ip.ca_file = cert;
  ok(s.client(ip)->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(s.server.requests().back().sni.empty()); // never for IP literals (RFC 6066)

  // System store only: the self-signed certificate is rejected, not retried, nothing served.
  s.server.reset();
  auto untrusted = s.client(fast(s.server.base_url()));
  const auto e = failed(untrusted->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(e.kind == fetch_error_kind::network);
  CHECK(e.attempts == 1);
  CHECK(e.reason.find("TLS certificate verification failed for localhost") != std::string::npos);
  CHECK(s.server.request_count() == 0);

  // A missing CA file is a configuration error at factory creation.
  auto bad = fast(s.server.base_url());
  bad.ca_file = (dir / "missing.pem").string();
  CHECK_THROWS_AS(s.make_factory(bad), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

TEST_CASE("token bucket: rate and burst, reservations queue in order", "[limits]") {
  token_bucket b(2.0, 2.0);                 // 2/s, burst 2
  const auto t0 = steady_clock::now() + 1h; // well after construction: the bucket is full
  CHECK(b.reserve(t0) == steady_clock::duration::zero());
  CHECK(b.reserve(t0) == steady_clock::duration::zero());
  CHECK(std::chrono::duration<double>(b.reserve(t0)).count() == Approx(0.5));
  CHECK(std::chrono::duration<double>(b.reserve(t0)).count() == Approx(1.0));
  // One second later two tokens came back, both already promised.
  CHECK(std::chrono::duration<double>(b.reserve(t0 + 1s)).count() == Approx(0.5));
}

TEST_CASE("yahoo: the per-host rate limit is shared by every source of a factory", "[limits]") {
  setup s;
  auto o = fast(s.server.base_url());
  o.rate_per_second = 5;
  o.burst = 1;
  auto& factory = s.make_factory(o);
  auto a = factory.make(), b = factory.make();
  const auto t0 = steady_clock::now();
  std::thread ta([&] {
    for (int i = 0; i < 3; ++i)
      ok(a->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  });
  std::thread tb([&] {
    for (int i = 0; i < 3; ++i)
      ok(b->fetch("OCDO.L", d("2020-01-01"), d("2020-01-03")));
  });
  ta.join();
  tb.join();
  const double elapsed = std::chrono::duration<double>(steady_clock::now() - t0).count();
  CHECK(s.server.request_count() == 6);
  // 6 requests at 5/s with a burst of 1: the first at once, then one every 200 ms.
  CHECK(elapsed >= 0.95);
  CHECK(elapsed < 2.0);
  // The requests were spaced, not bunched: no two within 150 ms is checked through the total.
}

TEST_CASE("circuit breaker: opens after repeated throttling, probes, closes", "[limits]") {
  circuit_breaker::settings st;
  st.threshold = 2;
  st.open_for = 1000ms;
  st.max_open = 3000ms;
  circuit_breaker cb(st);
  auto t = steady_clock::now();
  steady_clock::duration wait{};
  CHECK(cb.allow(t, wait));
  cb.on_throttled(t);
  CHECK(cb.current(t) == circuit_breaker::state::closed);
  cb.on_success(); // a success resets the count
  cb.on_throttled(t);
  CHECK(cb.current(t) == circuit_breaker::state::closed);
  cb.on_throttled(t);
  CHECK(cb.current(t) == circuit_breaker::state::open);
  CHECK_FALSE(cb.allow(t + 500ms, wait));
  CHECK(wait == 500ms);
  // Half-open: one probe at a time.
  CHECK(cb.allow(t + 1000ms, wait));
  CHECK_FALSE(cb.allow(t + 1000ms, wait));
  cb.on_throttled(t + 1000ms); // probe throttled: re-open for twice as long
  CHECK_FALSE(cb.allow(t + 2900ms, wait));
  CHECK(cb.allow(t + 3000ms, wait));
  cb.on_neutral(); // a timeout says nothing: the next caller probes
  CHECK(cb.allow(t + 3000ms, wait));
  cb.on_success();
  CHECK(cb.current(t + 3000ms) == circuit_breaker::state::closed);
  CHECK(cb.times_opened() == 2);
}

TEST_CASE("yahoo: repeated 429s open the shared breaker, fetches fail fast, then recover",
          "[limits]") {
  setup s;
  auto o = fast(s.server.base_url());
  o.breaker.threshold = 3;
  o.breaker.open_for = 400ms;
  o.max_attempts = 10;
  auto& factory = s.make_factory(o);
  auto a = factory.make(), b = factory.make();
  s.server.script("*", "429,429,429,429,429,429");
  const auto e = failed(a->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(e.kind == fetch_error_kind::throttled);
  CHECK(e.attempts == 3); // the third 429 opened the breaker; no fourth request
  CHECK(e.reason.find("circuit breaker open") != std::string::npos);
  CHECK(s.server.request_count() == 3);
  // Another agent's source of the same factory fails fast without a request.
  const auto e2 = failed(b->fetch("OCDO.L", d("2020-01-01"), d("2020-01-03")));
  CHECK(e2.kind == fetch_error_kind::throttled);
  CHECK(e2.attempts == 0);
  CHECK(s.server.request_count() == 3);
  CHECK(factory.yahoo_limits()->breaker.current(steady_clock::now()) ==
        circuit_breaker::state::open);
  CHECK(s.registry.counter("finstream_source_breaker_rejections_total", "", {{"source", "yahoo"}})
            .value() == 2);
  // Waits (polling the breaker's own clock) until open_for has passed and a probe may go.
  auto await_half_open = [&] {
    const auto deadline = steady_clock::now() + 10s;
    while (factory.yahoo_limits()->breaker.current(steady_clock::now()) !=
               circuit_breaker::state::half_open &&
           steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return factory.yahoo_limits()->breaker.current(steady_clock::now()) ==
           circuit_breaker::state::half_open;
  };
  // After open_for, one probe goes; Yahoo still throttles → open again (for longer).
  REQUIRE(await_half_open());
  const auto e3 = failed(b->fetch("OCDO.L", d("2020-01-01"), d("2020-01-03")));
  CHECK(e3.attempts == 1);
  CHECK(s.server.request_count() == 4);
  // Once Yahoo answers again, the probe succeeds and the breaker closes.
  s.server.reset();
  REQUIRE(await_half_open());
  CHECK(ok(a->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03"))).bars.size() == 3);
  CHECK(factory.yahoo_limits()->breaker.current(steady_clock::now()) ==
        circuit_breaker::state::closed);
  CHECK(ok(b->fetch("OCDO.L", d("2020-01-01"), d("2020-01-03"))).bars.size() == 1);
}

TEST_CASE("yahoo: request latency and counts go to the metrics registry", "[yahoo]") {
  setup s;
  auto client = s.client();
  s.server.script("BTC-USD", "500, ok");
  ok(client->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  failed(client->fetch("NOPE", d("2020-01-01"), d("2020-01-03")));
  CHECK(s.requests_with_status("500") == 1);
  CHECK(s.requests_with_status("200") == 1);
  CHECK(s.requests_with_status("404") == 1);
  auto& h = s.registry.histogram("finstream_source_request_duration_seconds", "",
                                 metrics::default_latency_buckets(), {{"source", "yahoo"}});
  CHECK(h.count() == 3);
  const auto text = s.registry.render();
  CHECK(text.find("finstream_source_fetches_total{outcome=\"ok\",source=\"yahoo\"} 1") !=
        std::string::npos);
  CHECK(text.find("finstream_source_fetches_total{outcome=\"not_found\",source=\"yahoo\"} 1") !=
        std::string::npos);
}

TEST_CASE("replay scripts parse and reject junk", "[replay]") {
  auto steps = test::parse_script("429:2, 500;delay:10 ok\nempty");
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].act == test::replay_step::action::throttle);
  CHECK(steps[0].retry_after == 2);
  CHECK(steps[2].delay_ms == 10);
  CHECK_THROWS_AS(test::parse_step("teapot"), std::invalid_argument);
  CHECK_THROWS_AS(test::parse_step("404:3"), std::invalid_argument);
  CHECK_THROWS_AS(test::parse_step("delay:x"), std::invalid_argument);
}

TEST_CASE("yahoo: 403 is a refusal, not throttling: retried, and the breaker stays closed",
          "[limits]") {
  setup s;
  auto o = fast(s.server.base_url());
  o.breaker.threshold = 2;
  o.max_attempts = 3;
  auto& factory = s.make_factory(o);
  auto a = factory.make();
  s.server.script("*", "403,403,403");
  const auto e = failed(a->fetch("BTC-USD", d("2020-01-01"), d("2020-01-03")));
  CHECK(e.kind == fetch_error_kind::forbidden);
  CHECK_FALSE(is_permanent(e.kind));
  CHECK(e.attempts == 3);
  CHECK(e.http_status == 403);
  CHECK(s.server.request_count() == 3);
  CHECK(factory.yahoo_limits()->breaker.times_opened() == 0);
}
