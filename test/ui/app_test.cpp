// Tests of the chart page's routing that need no database: invalid input is refused before any
// query, unknown paths are 404 pages, and a database that cannot be reached is a 503 page without
// the DSN's secrets.
#include <catch2/catch.hpp>

#include <chrono>

#include "ui/app.hpp"

using namespace finstream::ui;

namespace {

// Nothing listens on port 1: every connection attempt is refused at once.
app unreachable() {
  app_options o;
  o.dsn = "postgresql://finstream:s3cret@127.0.0.1:1/finstream";
  return app{o};
}

} // namespace

TEST_CASE("chart page: invalid symbols, ranges, dates and unknown paths are answered without the "
          "database") {
  app a{app_options{"postgresql://finstream@127.0.0.1:1/finstream", {}}};
  struct want {
    const char* target;
    int status;
    const char* text;
  };
  for (const auto& w : {want{"/chart/a;b", 400, "Not a valid symbol"},
                        want{"/chart/%27%20OR%201=1", 400, "Not a valid symbol"},
                        want{"/chart/TOOLONGSYMBOLNAME1234567890", 400, "Not a valid symbol"},
                        want{"/chart/AAPL?range=7y", 400, "Unknown range"},
                        want{"/chart/AAPL?from=2020-02-30", 400, "is not a date"},
                        want{"/chart/AAPL?from=2021-01-01&to=2020-01-01", 400, "ends before"},
                        want{"/nothing/here", 404, "There is no page at /nothing/here"}}) {
    INFO(w.target);
    auto t0 = std::chrono::steady_clock::now();
    auto r = a.handle(w.target);
    CHECK(r.status == w.status);
    CHECK(r.body.find(w.text) != std::string::npos);
    CHECK(r.content_type == "text/html; charset=utf-8");
    // No connection was attempted (that would take the 3 s reconnect budget).
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{1});
  }
  CHECK(a.handle("/favicon.ico").status == 204);
}

TEST_CASE("chart page: an unreachable database is a 503 page that does not show the DSN") {
  auto a = unreachable();
  auto r = a.handle("/");
  CHECK(r.status == 503);
  CHECK(r.body.find("The database is unavailable") != std::string::npos);
  CHECK(r.body.find("s3cret") == std::string::npos);
  CHECK(r.body.find("127.0.0.1:1") == std::string::npos);
}

TEST_CASE("url_decode") {
  CHECK(url_decode("%5EGSPC") == "^GSPC");
  CHECK(url_decode("a+b%2") == "a b%2");
  CHECK(url_decode("%zz") == "%zz");
}
