// DSN resolution, rewriting and redaction on top of libpq's own parser (see dsn.hpp).
#include "pg/dsn.hpp"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <libpq-fe.h>

namespace finstream::pg {

namespace {

struct options_deleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using options_ptr = std::unique_ptr<PQconninfoOption, options_deleter>;

// nullptr when libpq cannot parse `dsn`. libpq's error text is dropped on purpose: it quotes
// pieces of the DSN, which may be the password.
options_ptr parse(const std::string& dsn) {
  char* err = nullptr;
  options_ptr opts{PQconninfoParse(dsn.c_str(), &err)};
  if (err) PQfreemem(err);
  return opts;
}

bool is_secret(const char* keyword) {
  std::string k{keyword};
  return k == "password" || k == "sslpassword";
}

// libpq key=value quoting: a value that is empty or holds white space (what isspace() takes in
// the C locale, as libpq's parser: also \v and \f), quotes, backslashes or '=' is single-quoted,
// with ' and \ backslash-escaped inside.
std::string quote_value(const std::string& v) {
  bool plain = !v.empty();
  for (char c : v)
    if (c == ' ' || (c >= '\t' && c <= '\r') || c == '\'' || c == '\\' || c == '=') plain = false;
  if (plain) return v;
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string trim(std::string s) {
  const char* blanks = " \t\r\n";
  auto b = s.find_first_not_of(blanks);
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(blanks);
  return s.substr(b, e - b + 1);
}

std::string read_dsn_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(std::string{"cannot read the DSN file given by "} + what + " (" +
                             path + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto dsn = trim(ss.str());
  if (dsn.empty())
    throw std::runtime_error(std::string{"the DSN file given by "} + what + " (" + path +
                             ") is empty");
  return dsn;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string{v} : std::string{};
}

} // namespace

std::string resolve_dsn(const std::string& flag_dsn, const std::string& flag_file) {
  return resolve_dsn(dsn_sources{flag_dsn, flag_file, {}, {}});
}

std::string resolve_dsn(const dsn_sources& src) {
  if (!src.flag_dsn.empty()) return src.flag_dsn;
  if (!src.flag_file.empty()) return read_dsn_file(src.flag_file, "--pg-file");
  if (!src.config_dsn.empty()) return src.config_dsn;
  if (!src.config_file.empty()) return read_dsn_file(src.config_file, "the configured pg.dsn_file");
  if (auto v = env("FINSTREAM_PG"); !v.empty()) return v;
  if (auto f = env("FINSTREAM_PG_FILE"); !f.empty()) return read_dsn_file(f, "FINSTREAM_PG_FILE");
  return {};
}

std::vector<std::pair<std::string, std::string>> dsn_settings(const std::string& dsn) {
  auto opts = parse(dsn);
  if (!opts) throw std::invalid_argument("unparsable PostgreSQL DSN " + redact_dsn(dsn));
  std::vector<std::pair<std::string, std::string>> out;
  for (auto* o = opts.get(); o->keyword; ++o)
    if (o->val) out.emplace_back(o->keyword, o->val);
  return out;
}

std::string redact_dsn(const std::string& dsn) {
  if (trim(dsn).empty()) return "<libpq defaults>";
  auto opts = parse(dsn);
  if (!opts) return "<unparsable DSN>";
  std::string out;
  for (auto* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    if (!out.empty()) out += ' ';
    out += o->keyword;
    out += '=';
    out += is_secret(o->keyword) ? std::string{"***"} : quote_value(o->val);
  }
  return out.empty() ? std::string{"<libpq defaults>"} : out;
}

std::string dsn_with(const std::string& dsn,
                     const std::vector<std::pair<std::string, std::string>>& settings) {
  auto current = dsn_settings(dsn);
  for (const auto& [k, v] : settings) {
    bool replaced = false;
    for (auto& kv : current)
      if (kv.first == k) {
        kv.second = v;
        replaced = true;
      }
    if (!replaced) current.emplace_back(k, v);
  }
  std::string out;
  for (const auto& [k, v] : current) {
    if (!out.empty()) out += ' ';
    out += k + "=" + quote_value(v);
  }
  return out;
}

std::string scrub_secrets(std::string text, const std::string& dsn) {
  std::vector<std::string> secrets;
  if (auto opts = parse(dsn)) {
    for (auto* o = opts.get(); o->keyword; ++o)
      if (o->val && is_secret(o->keyword)) secrets.emplace_back(o->val);
  }
  // libpq also takes the password from the environment.
  if (auto pw = env("PGPASSWORD"); !pw.empty()) secrets.push_back(pw);
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
      text.replace(pos, secret.size(), "***");
  }
  return text;
}

} // namespace finstream::pg
