// libpq wrapper: statements, COPY, classification of errors for retrying, reconnect with backoff.
#include "pg/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

#include <libpq-fe.h>
#include <poll.h>

#include "pg/dsn.hpp"

namespace finstream::pg {

namespace {

// Connection-class SQLSTATEs: class 08 (connection exception) and the shutdown family of 57
// (admin_shutdown, crash_shutdown, cannot_connect_now): the session is gone or going.
bool connection_state(const std::string& s) {
  return s.rfind("08", 0) == 0 || s == "57P01" || s == "57P02" || s == "57P03";
}

bool transient_state(const std::string& s) {
  return s == "40001" || s == "40P01";
}

// libpq's messages end with a newline and may span lines ("connection to server ... failed: ...").
std::string one_line(const char* msg) {
  std::string out;
  bool blank = false;
  for (const char* p = msg ? msg : ""; *p; ++p) {
    if (*p == '\n' || *p == '\r' || *p == '\t') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += *p;
  }
  return out.empty() ? std::string{"(no message)"} : out;
}

std::chrono::milliseconds jitter(std::chrono::milliseconds d) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(0.75, 1.25);
  return std::chrono::milliseconds{
      static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng))};
}

// Server notices (e.g. "relation ... already exists, skipping") go to the debug log instead of
// libpq's default of printing them on stderr.
void on_notice(void*, const char* message) {
  log::debug("pg", "server_notice", {{"message", one_line(message)}});
}

std::mutex limits_mutex;
session_limits limits_value; // guarded by limits_mutex

} // namespace

void set_default_session_limits(const session_limits& limits) {
  std::lock_guard<std::mutex> lock(limits_mutex);
  limits_value = limits;
}

session_limits default_session_limits() {
  std::lock_guard<std::mutex> lock(limits_mutex);
  return limits_value;
}

// -- result -----------------------------------------------------------------------------------

void result::deleter::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

result::result(pg_result* r)
    : res_(r) {}

int result::rows() const noexcept {
  return res_ ? PQntuples(res_.get()) : 0;
}
int result::columns() const noexcept {
  return res_ ? PQnfields(res_.get()) : 0;
}
bool result::is_null(int row, int col) const noexcept {
  return PQgetisnull(res_.get(), row, col) != 0;
}
std::string_view result::text(int row, int col) const noexcept {
  return {PQgetvalue(res_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}

std::int64_t result::int64(int row, int col) const {
  auto t = text(row, col);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size())
    throw pg_error(error_kind::other, "pg: column " + std::to_string(col) + " is not an integer");
  return v;
}

double result::float8(int row, int col) const {
  if (is_null(row, col)) return std::nan("");
  auto t = text(row, col);
  if (t == "NaN") return std::nan("");
  if (t == "Infinity") return HUGE_VAL;
  if (t == "-Infinity") return -HUGE_VAL;
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size())
    throw pg_error(error_kind::other, "pg: column " + std::to_string(col) + " is not a number");
  return v;
}

std::int64_t result::affected() const noexcept {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

// -- parameters -------------------------------------------------------------------------------

param param_of(double v) {
  if (std::isnan(v)) return std::string{"NaN"};
  if (std::isinf(v)) return std::string{v > 0 ? "Infinity" : "-Infinity"};
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string{buf, p};
}

std::string array_literal(const std::vector<param>& elements) {
  std::string out = "{";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i) out += ',';
    if (!elements[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *elements[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// -- connection -------------------------------------------------------------------------------

void connection::deleter::operator()(pg_conn* c) const noexcept {
  PQfinish(c);
}

connection::connection(std::string dsn, reconnect_policy policy)
    : dsn_(std::move(dsn))
    , redacted_(redact_dsn(dsn_))
    , policy_(policy)
    , limits_(default_session_limits()) {
  if (redacted_ == "<unparsable DSN>")
    throw pg_error(error_kind::other, "pg: the PostgreSQL DSN cannot be parsed (check its syntax)");
  reconnect();
}

connection::~connection() = default;
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;

bool connection::is_ok() const noexcept {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

int connection::backend_pid() const noexcept {
  return is_ok() ? PQbackendPID(conn_.get()) : 0;
}

void connection::connect_once() {
  conn_.reset();
  const std::string timeout = std::to_string(policy_.connect_timeout_s);
  const std::string ka_idle = std::to_string(limits_.keepalives_idle_s);
  const std::string ka_interval = std::to_string(limits_.keepalives_interval_s);
  const std::string ka_count = std::to_string(limits_.keepalives_count);
  const std::string user_timeout = std::to_string(limits_.tcp_user_timeout.count());
  // Later entries override earlier ones: the DSN (expanded from dbname) wins over our defaults.
  // (libpq ignores the TCP settings on Unix-domain sockets.)
  const char* keys[] = {"connect_timeout",     "fallback_application_name",
                        "keepalives",          "keepalives_idle",
                        "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout",    "dbname",
                        nullptr};
  const char* values[] = {timeout.c_str(),     "finstream",     "1",
                          ka_idle.c_str(),     ka_interval.c_str(), ka_count.c_str(),
                          user_timeout.c_str(), dsn_.c_str(),   nullptr};
  std::unique_ptr<pg_conn, deleter> c{PQconnectdbParams(keys, values, /*expand_dbname=*/1)};
  if (!c) throw pg_error(error_kind::connection, "pg: out of memory creating a connection");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    auto msg = scrub_secrets(one_line(PQerrorMessage(c.get())), dsn_);
    throw pg_error(error_kind::connection, "pg: cannot connect to " + redacted_ + ": " + msg);
  }
  PQsetNoticeProcessor(c.get(), on_notice, nullptr);
  // Nonblocking: every wait for the server goes through await_socket(), bounded by the deadline.
  if (PQsetnonblocking(c.get(), 1) != 0)
    throw pg_error(error_kind::connection, "pg: cannot switch the connection to nonblocking");
  conn_ = std::move(c);
  // Sessions of finstream speak UTC and ISO dates whatever the server's defaults are, and carry
  // the limits (session_limits).
  exec("SET TimeZone = 'UTC'");
  exec("SET DateStyle = 'ISO, YMD'");
  exec("SET statement_timeout = " + std::to_string(limits_.statement_timeout.count()));
  exec("SET idle_in_transaction_session_timeout = " +
       std::to_string(limits_.idle_in_transaction_timeout.count()));
  // The server probes this client as the client probes it: a backend whose client vanished (a
  // network cut) while the backend waits for the client, e.g. inside COPY FROM STDIN, where
  // neither statement_timeout nor the idle-in-transaction timeout applies, is ended and its
  // transaction's locks released instead of being held until the kernel default (~2 h 11 min).
  // Ignored by the server on Unix-domain sockets.
  exec("SET tcp_keepalives_idle = " + ka_idle);
  exec("SET tcp_keepalives_interval = " + ka_interval);
  exec("SET tcp_keepalives_count = " + ka_count);
  ++generation_;
}

void connection::reconnect() {
  const auto start = std::chrono::steady_clock::now();
  auto backoff = policy_.initial_backoff;
  for (int attempt = 0;; ++attempt) {
    try {
      connect_once();
      if (attempt > 0 || generation_ > 1)
        log::info("pg", "connected", {{"dsn", redacted_}, {"attempts", attempt + 1}});
      return;
    } catch (const pg_error& e) {
      if (std::chrono::steady_clock::now() - start + backoff > policy_.give_up_after) {
        log::error("pg", "connect_failed", {{"attempts", attempt + 1}, {"error", e.what()}});
        throw pg_error(error_kind::connection, std::string{e.what()} + " (gave up after " +
                                                   std::to_string(attempt + 1) + " attempts)");
      }
      if (attempt == 0 || attempt % 10 == 0)
        log::warn("pg", "connect_retry", {{"attempt", attempt + 1}, {"error", e.what()}});
      std::this_thread::sleep_for(jitter(backoff));
      backoff = std::min(backoff * 2, policy_.max_backoff);
    }
  }
}

bool connection::ping() noexcept {
  if (!is_ok()) return false;
  try {
    exec("SELECT 1");
    return is_ok();
  } catch (const std::exception&) {
    return false;
  }
}

void connection::start_statement() {
  deadline_ = limits_.statement_timeout.count() > 0
                  ? std::chrono::steady_clock::now() + limits_.statement_timeout +
                        limits_.answer_grace
                  : std::chrono::steady_clock::time_point::max();
}

bool connection::await_socket(short events) {
  for (;;) {
    int wait_ms = -1; // statement_timeout 0: no client-side limit either
    if (deadline_ != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                            deadline_ - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(std::min<std::int64_t>(left, INT_MAX));
    }
    pollfd p{PQsocket(conn_.get()), events, 0};
    if (p.fd < 0) return true; // no socket: libpq reports the error
    const int r = ::poll(&p, 1, wait_ms);
    if (r > 0 || (r < 0 && errno != EINTR)) return true;
  }
}

bool connection::await_answer() {
  pg_conn* c = conn_.get();
  for (;;) {
    const int f = PQflush(c);
    if (f < 0) return true; // the error surfaces through PQgetResult
    if (f == 0) break;
    if (!await_socket(POLLIN | POLLOUT)) return false;
    if (!PQconsumeInput(c)) return true;
  }
  while (PQisBusy(c)) {
    if (!await_socket(POLLIN)) return false;
    if (!PQconsumeInput(c)) return true;
  }
  return true;
}

void connection::hung(std::string_view what) {
  const auto waited = limits_.statement_timeout + limits_.answer_grace;
  log::warn("pg", "no_answer",
            {{"what", what}, {"waited_ms", static_cast<std::int64_t>(waited.count())},
             {"dsn", redacted_}});
  conn_.reset();
  throw pg_error(error_kind::connection,
                 "pg: " + std::string{what} + ": no answer from the server within " +
                     std::to_string(waited.count()) +
                     " ms (statement_timeout + grace); connection dropped");
}

pg_result* connection::collect(std::string_view what) {
  PGresult* last = nullptr;
  for (;;) {
    if (!await_answer()) {
      PQclear(last);
      hung(what);
    }
    PGresult* r = PQgetResult(conn_.get());
    if (!r) return last;
    const auto st = PQresultStatus(r);
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      PQclear(last);
      return r;
    }
    if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
      PQclear(r); // the first error is the one to report (as PQexec does)
      continue;
    }
    PQclear(last);
    last = r;
  }
}

void connection::note_retry(const pg_error& e, int attempt) {
  log::warn("pg", "retry", {{"attempt", attempt + 1}, {"error", e.what()}});
  if (e.kind() == error_kind::connection) {
    reconnect();
  } else {
    auto d = std::min(policy_.initial_backoff * (1 << std::min(attempt, 6)), policy_.max_backoff);
    std::this_thread::sleep_for(jitter(d));
  }
}

void connection::fail(std::string_view what, pg_result* res) {
  std::string state;
  std::string msg;
  if (res) {
    if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) state = s;
    msg = one_line(PQresultErrorMessage(res));
    PQclear(res);
  }
  if (msg.empty() || msg == "(no message)")
    msg = conn_ ? one_line(PQerrorMessage(conn_.get())) : std::string{"not connected"};
  msg = scrub_secrets(msg, dsn_);
  error_kind kind = error_kind::other;
  if (!is_ok() || connection_state(state))
    kind = error_kind::connection;
  else if (transient_state(state))
    kind = error_kind::transient;
  if (kind == error_kind::connection)
    conn_.reset(); // a half-dead session is never reused: the next use reconnects
  throw pg_error(kind, "pg: " + std::string{what} + " failed: " + msg, state);
}

result connection::exec(std::string_view sql, const std::vector<param>& params) {
  if (!is_ok()) throw pg_error(error_kind::connection, "pg: not connected to " + redacted_);
  std::string stmt{sql};
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  start_statement();
  if (!PQsendQueryParams(conn_.get(), stmt.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0))
    fail("statement", nullptr);
  PGresult* r = collect("statement");
  if (!r) fail("statement", nullptr);
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
      PQclear(r);
      conn_.reset();
      throw pg_error(error_kind::other, "pg: exec() cannot run COPY; use copy_in()");
    }
    fail("statement", r);
  }
  return result{r};
}

std::int64_t connection::copy_in(std::string_view copy_sql, std::string_view data) {
  if (!is_ok()) throw pg_error(error_kind::connection, "pg: not connected to " + redacted_);
  std::string stmt{copy_sql};
  start_statement(); // one deadline for the statement, its data and its answer
  if (!PQsendQueryParams(conn_.get(), stmt.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0))
    fail("COPY", nullptr);
  PGresult* r = collect("COPY");
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) fail("COPY", r);
  PQclear(r);
  // libpq buffers and sends; chunks bound each call's memory copy, not the total sent. In
  // nonblocking mode a full send buffer makes the put return 0: wait until writable, retry.
  auto put = [&](std::string_view what, const auto& call) {
    for (;;) {
      const int rc = call();
      if (rc == 1) return;
      if (rc < 0) fail(what, nullptr);
      if (!await_socket(POLLIN | POLLOUT)) hung(what);
      if (!PQconsumeInput(conn_.get())) fail(what, nullptr);
    }
  };
  constexpr std::size_t chunk = 1 << 20;
  for (std::size_t off = 0; off < data.size(); off += chunk) {
    auto n = std::min(chunk, data.size() - off);
    put("COPY data",
        [&] { return PQputCopyData(conn_.get(), data.data() + off, static_cast<int>(n)); });
  }
  put("COPY end", [&] { return PQputCopyEnd(conn_.get(), nullptr); });
  PGresult* res = collect("COPY");
  if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) fail("COPY", res);
  result ok{res};
  if (!is_ok()) fail("COPY", nullptr);
  return ok.affected();
}

std::int64_t connection::finish_copy() {
  std::int64_t rows = 0;
  PGresult* failed = nullptr;
  while (PGresult* res = PQgetResult(conn_.get())) {
    if (PQresultStatus(res) == PGRES_COMMAND_OK && !failed) {
      result ok{res};
      rows = ok.affected();
    } else if (!failed) {
      failed = res;
    } else {
      PQclear(res);
    }
  }
  if (failed) fail("COPY", failed);
  if (!is_ok()) fail("COPY", nullptr);
  return rows;
}

std::int64_t connection::copy_out(std::string_view copy_sql,
                                  const std::function<void(std::string_view)>& sink) {
  if (!is_ok()) throw pg_error(error_kind::connection, "pg: not connected to " + redacted_);
  std::string stmt{copy_sql};
  PGresult* r = PQexecParams(conn_.get(), stmt.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
  if (!r || PQresultStatus(r) != PGRES_COPY_OUT) fail("COPY", r);
  PQclear(r);
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn_.get(), &buf, /*async=*/0);
    if (n == -1) break; // done: the final result follows
    if (n < 0) fail("COPY data", nullptr);
    std::unique_ptr<char, void (*)(void*)> owned{buf, PQfreemem};
    try {
      sink({buf, static_cast<std::size_t>(n)});
    } catch (...) {
      conn_.reset();
      throw;
    }
  }
  return finish_copy();
}

// -- transaction ------------------------------------------------------------------------------

transaction::transaction(connection& c)
    : c_(c) {
  c_.exec("BEGIN");
}

transaction::~transaction() {
  if (done_ || !c_.is_ok()) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
    // The connection broke while rolling back: the server rolls back on its own.
  }
}

void transaction::commit() {
  done_ = true; // whatever COMMIT's outcome, there is nothing left to roll back
  c_.exec("COMMIT");
}

std::string quote_identifier(connection& c, std::string_view name) {
  if (!c.is_ok()) throw pg_error(error_kind::connection, "pg: not connected");
  char* q = PQescapeIdentifier(c.raw(), name.data(), name.size());
  if (!q) throw pg_error(error_kind::other, "pg: cannot quote an identifier");
  std::string out{q};
  PQfreemem(q);
  return out;
}

} // namespace finstream::pg
