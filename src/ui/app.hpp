// The chart page's request handling, apart from the network: GET target → HTTP status, content
// type and body. Reads PostgreSQL through a small pool of its own connections.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"
#include "ui/chart_data.hpp"

namespace finstream::ui {

struct app_options {
  std::string dsn; // never shown in pages, logs or errors (only redacted)
  read_limits limits;
};

struct response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
};

/// Routes:
///   GET /                 the symbol list (last date, close, change, RSI, MACD, sparkline)
///   GET /chart/SYMBOL     the chart; query: range=1m|3m|6m|1y|2y|5y|all (default 1y), or
///                         from=YYYY-MM-DD and/or to=YYYY-MM-DD; add=COLUMN (repeatable) adds a
///                         stored indicator column
///   GET /favicon.ico      204
/// An invalid symbol, range, date or column is a 400 page; a valid symbol with no stored row a
/// 404 page; a query cancelled by the statement timeout or a database that cannot be reached a
/// 503 page; anything else unexpected a 500 page (logged).
///
/// Threads: handle() may be called from many threads at once; each call holds one pooled
/// connection for its duration (the pool grows to the number of concurrent calls).
class app {
public:
  explicit app(app_options options);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  response handle(std::string_view target);

private:
  class lease;
  response chart(std::string_view symbol_text, std::string_view query);
  response index();
  std::unique_ptr<pg::connection> acquire();
  void release(std::unique_ptr<pg::connection> c);

  app_options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<pg::connection>> idle_;
};

/// Percent-decodes a URL component ('+' is a space in query values). Malformed escapes are kept
/// as they are.
std::string url_decode(std::string_view text);

} // namespace finstream::ui
