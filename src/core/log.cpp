// Structured logging on spdlog (see log.hpp for the line format and the redaction contract).
#include "core/log.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace finstream::log {

namespace {

// The process logger. Not registered in spdlog's registry, so that other code cannot replace it by
// name; guarded by a mutex only for (re)configuration, which swaps the shared_ptr.
struct state {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
  level lvl = level::info;
};

state& global() {
  static state* s = new state; // never destroyed: logging from static destructors stays valid
  return *s;
}

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink, level lvl) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("finstream", std::move(sink));
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc));
  logger->set_level(lvl);
  logger->flush_on(level::trace); // stderr is unbuffered by convention: one event, one write
  return logger;
}

std::shared_ptr<spdlog::logger> current() {
  auto& s = global();
  std::lock_guard<std::mutex> lock{s.mutex};
  if (!s.logger) s.logger = make_logger(nullptr, s.lvl);
  return s.logger;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  return false;
}

void append_value(std::string& out, std::string_view raw) {
  std::string v = redact(raw);
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        static const char hex[] = "0123456789abcdef";
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0xf];
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool ends_secret(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '&' || c == ';' || c == ',';
}

// Masks `password<blanks>[=:]<blanks><value>` (case-insensitive "password" anywhere in the key,
// so PGPASSWORD= and sslpassword= are covered too).
std::string redact_assignments(std::string_view text) {
  static constexpr std::string_view key = "password";
  std::string out;
  std::size_t copied = 0;
  std::size_t i = 0;
  while (i + key.size() <= text.size()) {
    bool match = true;
    for (std::size_t k = 0; k < key.size(); ++k)
      if (lower(text[i + k]) != key[k]) {
        match = false;
        break;
      }
    if (!match) {
      ++i;
      continue;
    }
    std::size_t j = i + key.size();
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j; // "password": "x" (JSON-ish)
    while (j < text.size() && is_blank(text[j]))
      ++j;
    if (j >= text.size() || (text[j] != '=' && text[j] != ':')) {
      i += key.size();
      continue;
    }
    ++j;
    while (j < text.size() && is_blank(text[j]))
      ++j;
    std::size_t value_start = j;
    if (j < text.size() && (text[j] == '\'' || text[j] == '"')) {
      char q = text[j++];
      while (j < text.size() && text[j] != q) {
        if (text[j] == '\\' && j + 1 < text.size()) ++j;
        ++j;
      }
      if (j < text.size()) ++j; // closing quote
    } else {
      while (j < text.size() && !ends_secret(text[j]))
        ++j;
    }
    if (j > value_start) {
      out.append(text.substr(copied, value_start - copied));
      out += "***";
      copied = j;
    }
    i = j;
  }
  if (copied == 0) return std::string{text};
  out.append(text.substr(copied));
  return out;
}

// Masks the password of `scheme://user:password@host...`.
std::string redact_uris(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  std::size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string_view::npos) {
    std::size_t auth = pos + 3;
    // The authority ends at '/', '?', '#' or a blank; userinfo is what precedes its last '@'.
    std::size_t end = auth;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != '#' &&
           !ends_secret(text[end]) && text[end] != '"' && text[end] != '\'')
      ++end;
    std::string_view authority = text.substr(auth, end - auth);
    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      std::size_t colon = authority.substr(0, at).find(':');
      if (colon != std::string_view::npos && colon + 1 < at) {
        out.append(text.substr(copied, auth + colon + 1 - copied));
        out += "***";
        copied = auth + at;
      }
    }
    pos = end;
  }
  if (copied == 0) return std::string{text};
  out.append(text.substr(copied));
  return out;
}

} // namespace

std::string field::format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

level parse_level(std::string_view s) {
  std::string l;
  for (char c : s)
    l += lower(c);
  if (l == "trace") return level::trace;
  if (l == "debug") return level::debug;
  if (l == "info") return level::info;
  if (l == "warn" || l == "warning") return level::warn;
  if (l == "error") return level::err;
  if (l == "critical") return level::critical;
  if (l == "off") return level::off;
  throw std::invalid_argument("unknown log level '" + redact(s.substr(0, 32)) +
                              "' (use trace, debug, info, warn, error, critical or off)");
}

void setup(level lvl) {
  auto& s = global();
  std::lock_guard<std::mutex> lock{s.mutex};
  s.lvl = lvl;
  if (s.logger)
    s.logger->set_level(lvl);
  else
    s.logger = make_logger(nullptr, lvl);
}

void setup(std::string_view lvl) {
  setup(parse_level(lvl));
}

void set_sink(spdlog::sink_ptr sink) {
  auto& s = global();
  std::lock_guard<std::mutex> lock{s.mutex};
  s.logger = make_logger(std::move(sink), s.lvl);
}

bool enabled(level lvl) {
  return current()->should_log(lvl);
}

std::string format_event(std::string_view role, std::string_view event, fields f) {
  std::string line;
  line.reserve(64);
  line += "role=";
  append_value(line, role);
  line += " event=";
  append_value(line, event);
  for (const auto& fl : f) {
    line += ' ';
    line += fl.key;
    line += '=';
    append_value(line, fl.value);
  }
  return line;
}

void write(level lvl, std::string_view role, std::string_view event, fields f) noexcept {
  try {
    auto logger = current();
    if (!logger->should_log(lvl)) return;
    logger->log(lvl, spdlog::string_view_t{format_event(role, event, f)});
  } catch (...) {
    // Logging must never take the process down (bad_alloc, a closed stderr...).
  }
}

std::string redact(std::string_view text) {
  // Fast path: most values carry neither marker.
  bool maybe_uri = text.find("://") != std::string_view::npos;
  bool maybe_kv = false;
  for (std::size_t i = 0; i + 8 <= text.size() && !maybe_kv; ++i)
    maybe_kv = lower(text[i]) == 'p' && lower(text[i + 1]) == 'a' && lower(text[i + 2]) == 's' &&
               lower(text[i + 3]) == 's';
  if (!maybe_uri && !maybe_kv) return std::string{text};
  std::string out = maybe_kv ? redact_assignments(text) : std::string{text};
  return maybe_uri ? redact_uris(out) : out;
}

} // namespace finstream::log
