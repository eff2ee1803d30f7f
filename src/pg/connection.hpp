// A libpq connection: parameterised statements, COPY FROM STDIN, transactions, and reconnection
// with exponential backoff after the server restarts or the connection drops.
//
// Threads: a connection (and a transaction on it) is used by one thread at a time; different
// connections are independent. Errors are pg_error exceptions whose message never holds a password
// or a raw DSN (only redact_dsn() output, and libpq/server text scrubbed of the DSN's passwords).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/log.hpp"

struct pg_conn;
struct pg_result;

namespace finstream::pg {

/// What went wrong, as far as retrying is concerned.
enum class error_kind {
  connection, // the connection is gone (server restart, network, admin shutdown): reconnect, retry
  transient,  // serialization failure or deadlock: retry the transaction as is
  other,      // anything else (bad SQL, constraint violation, bad data): do not retry
};

class pg_error : public std::runtime_error {
public:
  pg_error(error_kind kind, const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message)
      , kind_(kind)
      , sqlstate_(std::move(sqlstate)) {}

  error_kind kind() const noexcept { return kind_; }
  /// Five-character SQLSTATE when the server sent one, else "".
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  bool connection_lost() const noexcept { return kind_ == error_kind::connection; }

private:
  error_kind kind_;
  std::string sqlstate_;
};

/// How (re)connecting retries. Attempt n waits min(initial * 2^n, max) (with ±25% jitter) before
/// the next; after `give_up_after` of failed attempts a pg_error(connection) is thrown.
struct reconnect_policy {
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds give_up_after{60000};
  int connect_timeout_s = 10; // libpq connect_timeout, unless the DSN sets its own
  /// with_retry(): how many times one unit of work may be retried after a lost connection or a
  /// transient error before the error is passed on.
  int max_retries = 20;
};

/// Limits that keep a hung server or network from holding a connection forever. Applied at every
/// (re)connection: the TCP settings as libpq connection parameters (a DSN that names one of them
/// wins), the two timeouts as session settings (SET). Defaults suit the processors' batch commits,
/// which take well under a second (a 5,000-row COPY and its upserts).
///  - keepalives: the kernel probes an idle connection after keepalives_idle_s, every
///    keepalives_interval_s, and drops it after keepalives_count unanswered probes (dead host,
///    network partition). The same three are set on the server's side of the session
///    (tcp_keepalives_*), so a backend whose client vanished mid-transaction (e.g. waiting for
///    COPY data, where no server timeout applies) ends and releases its locks.
///  - tcp_user_timeout: data sent and not acknowledged for this long drops the connection.
///  - statement_timeout: the server cancels a statement running longer (SQLSTATE 57014).
///  - idle_in_transaction_timeout: the server ends a session idle inside a transaction for
///    longer (a client that hung mid-transaction releases its locks).
///  - answer_grace: the client waits for an answer at most statement_timeout + answer_grace;
///    past that the server is hung (stopped, overloaded beyond its own timeout) and the connection
///    is dropped: a pg_error(connection), so with_retry() reconnects and repeats the unit of work.
/// 0 disables a timeout (statement_timeout 0: no client-side wait limit either).
struct session_limits {
  std::chrono::milliseconds statement_timeout{60'000};
  std::chrono::milliseconds idle_in_transaction_timeout{20'000};
  std::chrono::milliseconds tcp_user_timeout{30'000};
  int keepalives_idle_s = 30;
  int keepalives_interval_s = 10;
  int keepalives_count = 3;
  std::chrono::milliseconds answer_grace{5'000};
};

/// The limits every connection made afterwards uses (process-wide; set once at start-up from the
/// options, before connections are made; thread-safe).
void set_default_session_limits(const session_limits& limits);
session_limits default_session_limits();

/// A statement result in text format. Move-only; owns the PGresult.
class result {
public:
  result() = default;
  explicit result(pg_result* r);
  int rows() const noexcept;
  int columns() const noexcept;
  bool is_null(int row, int col) const noexcept;
  /// The text of a field ("" for NULL); valid while this result lives.
  std::string_view text(int row, int col) const noexcept;
  std::string str(int row, int col) const { return std::string{text(row, col)}; }
  /// Parses the field as an integer / a double; throws pg_error(other) when it is not one.
  /// float8() returns NaN for NULL.
  std::int64_t int64(int row, int col) const;
  double float8(int row, int col) const;
  /// Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples), 0 when not applicable.
  std::int64_t affected() const noexcept;

private:
  struct deleter {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, deleter> res_;
};

/// One statement parameter in text format; nullopt is SQL NULL. Make them with param_of().
using param = std::optional<std::string>;

inline param param_of(std::nullopt_t) {
  return std::nullopt;
}
inline param param_of(std::string v) {
  return v;
}
inline param param_of(std::string_view v) {
  return std::string{v};
}
inline param param_of(const char* v) {
  return std::string{v};
}
inline param param_of(bool v) {
  return std::string{v ? "t" : "f"};
}
/// Shortest round-trip text (std::to_chars); NaN/inf as PostgreSQL spells them.
param param_of(double v);
template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
param param_of(T v) {
  return std::to_string(v);
}
template <class T>
param param_of(const std::optional<T>& v) {
  return v ? param_of(*v) : param{};
}

/// A PostgreSQL array literal ('{"a","b",NULL}') of text elements, every element quoted and
/// escaped, for `$n::text[]` (or `$n::int[]`, `$n::date[]` ...) parameters: lets one statement
/// handle many rows through unnest() while staying parameterised.
std::string array_literal(const std::vector<param>& elements);
template <class T>
std::string array_of(const std::vector<T>& v) {
  std::vector<param> e;
  e.reserve(v.size());
  for (const auto& x : v)
    e.push_back(param_of(x));
  return array_literal(e);
}

class connection {
public:
  /// Connects to `dsn` (see dsn.hpp; "" = libpq defaults), retrying per `policy` while the server
  /// is unreachable or starting up. Throws pg_error(connection) when it gives up, and
  /// pg_error(other) when the DSN cannot be parsed.
  explicit connection(std::string dsn, reconnect_policy policy = {});
  ~connection();
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one statement (PQexecParams; no multi-statement strings) with text parameters $1..$n.
  /// Throws pg_error; after a lost connection is_ok() is false until reconnect().
  result exec(std::string_view sql, const std::vector<param>& params = {});
  template <class... A>
  result query(std::string_view sql, const A&... args) {
    return exec(sql, std::vector<param>{param_of(args)...});
  }

  /// Runs `copy_sql` (a `COPY ... FROM STDIN ...` statement) and sends `data` as its input, in the
  /// format that statement names. Returns the number of rows the server loaded.
  std::int64_t copy_in(std::string_view copy_sql, std::string_view data);

  /// Runs `copy_sql` (a `COPY ... TO STDOUT ...` statement) and hands the output to `sink` as it
  /// arrives, one row per call (nothing is accumulated here). Returns the number of rows. When
  /// `sink` throws, the connection is closed (the server abandons the COPY; the next use
  /// reconnects) and the exception is passed on.
  std::int64_t copy_out(std::string_view copy_sql,
                        const std::function<void(std::string_view)>& sink);

  /// The connection is usable as far as libpq knows (no round trip: a server that went away is
  /// only noticed by the next statement, or by ping()).
  bool is_ok() const noexcept;
  /// One round trip (SELECT 1); false when the connection is gone. Never throws.
  bool ping() noexcept;
  /// Drops the current connection (if any) and connects again with backoff (see constructor).
  void reconnect();

  /// Runs `work(*this)`; when it throws a pg_error of kind connection (after reconnecting) or
  /// transient, runs it again, up to policy.max_retries times. `work` must therefore be a whole
  /// unit: a complete transaction (or a statement in autocommit), safe to repeat. Errors of kind
  /// other are passed on at once.
  template <class F>
  auto with_retry(F&& work) -> decltype(work(*this)) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!is_ok()) reconnect();
        return work(*this);
      } catch (const pg_error& e) {
        if (e.kind() == error_kind::other || attempt >= policy_.max_retries) throw;
        note_retry(e, attempt);
      }
    }
  }

  /// Increases by one at every successful (re)connection: session state (temporary tables,
  /// prepared statements, session settings) belongs to one generation.
  std::uint64_t generation() const noexcept { return generation_; }
  /// Successful reconnections after the first connection.
  std::uint64_t reconnects() const noexcept { return generation_ ? generation_ - 1 : 0; }
  /// The DSN in redacted form (for messages).
  const std::string& redacted_dsn() const noexcept { return redacted_; }
  /// The backend's process id (pg_backend_pid()), 0 when not connected.
  int backend_pid() const noexcept;
  /// The underlying handle (for libpq calls this class does not wrap). Do not PQfinish it.
  pg_conn* raw() noexcept { return conn_.get(); }
  /// The limits of this connection (default_session_limits() when it was made).
  const session_limits& limits() const noexcept { return limits_; }

private:
  struct deleter {
    void operator()(pg_conn* c) const noexcept;
  };
  void connect_once();
  [[noreturn]] void fail(std::string_view what, pg_result* res);
  /// Sends what libpq holds and waits until the answer is complete; false when the client-side
  /// deadline (statement_timeout + answer_grace) passed first.
  bool await_answer();
  /// Starts the client-side deadline of a statement (statement_timeout + answer_grace).
  void start_statement();
  /// Waits until the socket is ready for `events` (poll(2) flags); false past the deadline.
  bool await_socket(short events);
  /// The server did not answer in time: drops the connection and throws pg_error(connection).
  [[noreturn]] void hung(std::string_view what);
  /// Collects the results of the statement just sent (the last one, like PQexec); null on error.
  pg_result* collect(std::string_view what);
  void note_retry(const pg_error& e, int attempt);
  /// Collects the results that end a COPY; returns its row count or throws its error.
  std::int64_t finish_copy();

  std::string dsn_;
  std::string redacted_;
  reconnect_policy policy_;
  session_limits limits_;
  std::chrono::steady_clock::time_point deadline_; // of the statement in progress
  std::unique_ptr<pg_conn, deleter> conn_;
  std::uint64_t generation_ = 0;
};

/// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded. If the connection is
/// lost, the destructor does nothing (the server has rolled back).
class transaction {
public:
  explicit transaction(connection& c);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

private:
  connection& c_;
  bool done_ = false;
};

/// Quotes an identifier (libpq's PQescapeIdentifier) for the few statements that cannot take a
/// parameter (CREATE DATABASE, CREATE SCHEMA, SET search_path).
std::string quote_identifier(connection& c, std::string_view name);

} // namespace finstream::pg
