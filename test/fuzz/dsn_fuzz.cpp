// libFuzzer target: PostgreSQL connection strings (pg/dsn: redact_dsn, dsn_settings, dsn_with,
// scrub_secrets). No password may survive redaction or scrubbing, and dsn_with's quoting must read
// back to the same settings.
// fuzz-sources: src/pg/dsn.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/dsn/*
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_check.hpp"
#include "pg/dsn.hpp"

using namespace finstream;

namespace {

bool is_secret(const std::string& keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

bool alnum_only(const std::string& s) {
  for (unsigned char c : s)
    if (!std::isalnum(c)) return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string dsn{reinterpret_cast<const char*>(data), size};
  const auto redacted = pg::redact_dsn(dsn);
  std::vector<std::pair<std::string, std::string>> settings;
  try {
    settings = pg::dsn_settings(dsn);
  } catch (const std::invalid_argument& e) {
    fuzz::check_one_line(e.what(), "dsn error is one line");
    fuzz::check(redacted == "<unparsable DSN>" || redacted == "<libpq defaults>",
                "an unparsable DSN is not echoed");
    return 0;
  }
  const auto scrubbed = pg::scrub_secrets(dsn, dsn);
  for (const auto& [key, value] : settings) {
    if (!is_secret(key) || value.size() < 3 || value.find('*') != std::string::npos) continue;
    fuzz::check(scrubbed.find(value) == std::string::npos, "scrub_secrets removes the password");
    // An alphanumeric password can only show in the redacted form inside a keyword or another
    // setting's value.
    if (!alnum_only(value) || redacted.find(value) == std::string::npos) continue;
    bool elsewhere = false;
    for (const auto& [k2, v2] : settings)
      elsewhere = elsewhere || k2.find(value) != std::string::npos ||
                  (!is_secret(k2) && v2.find(value) != std::string::npos);
    fuzz::check(elsewhere, "redact_dsn masks the password");
  }
  // dsn_with writes key=value with libpq quoting: reading it back gives the same settings.
  const auto rewritten = pg::dsn_with(dsn, {{"application_name", "fuzz 'x' \\y"}});
  auto back = pg::dsn_settings(rewritten);
  auto expected = settings;
  bool replaced = false;
  for (auto& [k, v] : expected)
    if (k == "application_name") v = "fuzz 'x' \\y", replaced = true;
  if (!replaced) expected.emplace_back("application_name", "fuzz 'x' \\y");
  std::sort(back.begin(), back.end());
  std::sort(expected.begin(), expected.end());
  fuzz::check(back == expected, "dsn_with round trip");
  return 0;
}
