// PostgreSQL connection strings (DSNs): where they come from, and their redacted form for logs.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace finstream::pg {

/// The DSN to use, by precedence: `flag_dsn` (--pg), `flag_file` (--pg-file: a file whose content,
/// trimmed, is the DSN), env FINSTREAM_PG, env FINSTREAM_PG_FILE, else "" (an empty DSN: libpq then
/// uses its own PG* environment variables — PGHOST, PGUSER, PGPASSWORD, PGPASSFILE ... — and
/// defaults). Throws std::runtime_error when a named file cannot be read or is empty; the message
/// names the file, never its content.
std::string resolve_dsn(const std::string& flag_dsn = {}, const std::string& flag_file = {});

/// The same with a configuration layer between the command line and the environment (a config
/// file, or option-specific environment variables): flag_dsn, flag_file, config_dsn, config_file,
/// then FINSTREAM_PG, FINSTREAM_PG_FILE, then "". Empty strings count as "not given".
struct dsn_sources {
  std::string flag_dsn;
  std::string flag_file;
  std::string config_dsn;
  std::string config_file;
};
std::string resolve_dsn(const dsn_sources& sources);

/// `dsn` with every password (`password`, `sslpassword`) replaced by `***`, for logs and errors.
/// Accepts both the URI form (postgresql://user:pw@host/db?password=...) and the key=value form;
/// parsed with libpq (PQconninfoParse), so whatever libpq would read as a password is masked, and
/// the result is in key=value form listing only the settings the DSN gives. A DSN libpq cannot
/// parse yields "<unparsable DSN>" (its text may hold a password in a place we cannot tell).
/// "" (libpq defaults / PG* environment) yields "<libpq defaults>".
std::string redact_dsn(const std::string& dsn);

/// `dsn` with settings replaced or added (e.g. {{"dbname", "x"}} to reach another database of the
/// same server, {"options", "-c search_path=s"}), in key=value form with values quoted as libpq
/// expects. Throws std::invalid_argument (with a redacted message) when `dsn` is unparsable.
std::string dsn_with(const std::string& dsn,
                     const std::vector<std::pair<std::string, std::string>>& settings);

/// The settings libpq reads from `dsn` (only those given explicitly), as (keyword, value) pairs.
/// Throws std::invalid_argument (redacted message) when unparsable. Secrets included: callers
/// must not log the values.
std::vector<std::pair<std::string, std::string>> dsn_settings(const std::string& dsn);

/// Removes every occurrence of the DSN's password(s), and of $PGPASSWORD, from `text` (replaced by
/// `***`): a last line of defence for server/library messages that echo connection details.
/// Passwords shorter than 3 characters are not scrubbed (they would mangle ordinary words).
std::string scrub_secrets(std::string text, const std::string& dsn);

} // namespace finstream::pg
