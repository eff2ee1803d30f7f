// Tests of structured logging: line format, quoting, levels and redaction of secrets.
#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>

#include <spdlog/sinks/ostream_sink.h>

#include "core/log.hpp"

using namespace finstream;

namespace {

// Captures the process logger's output for one test; restores stderr afterwards.
struct capture {
  std::ostringstream out;
  capture() { log::set_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out)); }
  ~capture() {
    log::set_sink(nullptr);
    log::setup(log::level::info);
  }
};

} // namespace

TEST_CASE("an event line has timestamp, level, role, event and fields") {
  capture c;
  log::setup("info");
  log::info("agent", "fetch_done", {{"symbol", "AAPL"}, {"rows", 5}, {"ok", true}});
  std::string line = c.out.str();
  // 2024-05-02T21:03:07.125Z info role=agent ...
  REQUIRE(line.size() > 25);
  CHECK(line[4] == '-');
  CHECK(line[10] == 'T');
  CHECK(line[23] == 'Z');
  CHECK(line.substr(24) == " info role=agent event=fetch_done symbol=AAPL rows=5 ok=true\n");
}

TEST_CASE("values with blanks, quotes, '=' or control characters are quoted and escaped") {
  CHECK(log::format_event("processor", "copy_failed",
                          {{"error", "duplicate key \"x\""},
                           {"k", "a=b"},
                           {"e", ""},
                           {"nl", "a\nb\\c"},
                           {"ratio", 0.25}}) ==
        "role=processor event=copy_failed error=\"duplicate key \\\"x\\\"\" k=\"a=b\" e=\"\" "
        "nl=\"a\\nb\\\\c\" ratio=0.25");
}

TEST_CASE("levels filter lines and parse from --log-level strings") {
  capture c;
  log::setup("warn");
  log::info("manager", "hidden");
  log::warn("manager", "shown");
  log::error("manager", "also_shown");
  CHECK(c.out.str().find("hidden") == std::string::npos);
  CHECK(c.out.str().find(" warning role=manager event=shown\n") != std::string::npos);
  CHECK(c.out.str().find(" error role=manager event=also_shown\n") != std::string::npos);
  CHECK_FALSE(log::enabled(log::level::info));
  CHECK(log::enabled(log::level::err));

  CHECK(log::parse_level("DEBUG") == log::level::debug);
  CHECK(log::parse_level("warning") == log::level::warn);
  CHECK(log::parse_level("off") == log::level::off);
  CHECK_THROWS_AS(log::parse_level("verbose"), std::invalid_argument);
}

TEST_CASE("redact masks passwords in libpq DSNs, URIs and assignments") {
  CHECK(log::redact("host=db user=fin password=s3cret dbname=x") ==
        "host=db user=fin password=*** dbname=x");
  CHECK(log::redact("host=db password='a b\\' c' dbname=x") == "host=db password=*** dbname=x");
  CHECK(log::redact("PASSWORD = hunter2") == "PASSWORD = ***");
  CHECK(log::redact("PGPASSWORD=xyz make") == "PGPASSWORD=*** make");
  CHECK(log::redact("postgresql://fin:s3cret@db:5432/x?sslmode=require") ==
        "postgresql://fin:***@db:5432/x?sslmode=require");
  CHECK(log::redact("postgresql://fin@db/x?password=abc&sslmode=require") ==
        "postgresql://fin@db/x?password=***&sslmode=require");
  CHECK(log::redact("connect to http://u:p%40ss@h/ failed; retry") ==
        "connect to http://u:***@h/ failed; retry");
  CHECK(log::redact("{\"password\": \"x y\"}") == "{\"password\": ***}");
  // Nothing secret: unchanged.
  CHECK(log::redact("FATAL: password authentication failed for user \"fin\"") ==
        "FATAL: password authentication failed for user \"fin\"");
  CHECK(log::redact("postgresql://fin@db:5432/x") == "postgresql://fin@db:5432/x");
  CHECK(log::redact("https://query1.finance.yahoo.com/v8/finance/chart/AAPL") ==
        "https://query1.finance.yahoo.com/v8/finance/chart/AAPL");
}

TEST_CASE("secrets never reach a log line") {
  capture c;
  log::error("processor", "pg_connect_failed",
             {{"dsn", "postgresql://fin:TOPSECRET@db/x"},
              {"error", "could not connect: host=db password=TOPSECRET2"}});
  CHECK(c.out.str().find("TOPSECRET") == std::string::npos);
  CHECK(c.out.str().find("dsn=postgresql://fin:***@db/x") != std::string::npos);
}
