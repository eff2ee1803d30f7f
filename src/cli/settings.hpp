// finstream's options: one table of every option (key, flag, environment variable, default, help),
// merged from built-in defaults < config file < FINSTREAM_* environment < command-line flags.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace finstream::cli {

struct option_def {
  const char* key;  // "kafka.bootstrap": TOML table "kafka", key "bootstrap"
  const char* flag; // "--kafka" (empty: config file and environment only)
  const char* default_value;
  const char* help;
};

/// Every option, in the order of config/finstream.toml. The environment variable of key "a.b_c" is
/// FINSTREAM_A_B_C (dots and dashes become underscores, upper case).
const std::vector<option_def>& option_table();

std::string env_name(const std::string& key);

/// Merged option values. Accessors throw std::invalid_argument naming the option on bad values.
class settings {
public:
  const std::string& str(const std::string& key) const;
  long long integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool flag(const std::string& key) const;
  /// Where the value came from: "default", "file", "env", "flag".
  const std::string& origin(const std::string& key) const;

  void set(const std::string& key, std::string value, std::string origin);

  /// Every value whose key starts with `prefix`, keyed by the rest of the key (free-form tables
  /// such as [kafka.properties], whose keys are not options).
  std::map<std::string, std::string> with_prefix(const std::string& prefix) const;

private:
  std::map<std::string, std::pair<std::string, std::string>> values_;
};

/// librdkafka properties given outside the option table: the [kafka.properties] table of the
/// config file (dotted keys, quoted or as nested tables: `"sasl.mechanism" = "PLAIN"` and
/// `sasl.mechanism = "PLAIN"` are the same) and environment variables
/// FINSTREAM_KAFKA_PROPERTY_<NAME>, where NAME is the property in upper case with '.' written '_'
/// and '_' written '__' (FINSTREAM_KAFKA_PROPERTY_SASL_MECHANISM → sasl.mechanism). The
/// environment wins over the file. Resolved into settings under "kafka.properties.<name>".
inline constexpr const char* kafka_properties_prefix = "kafka.properties.";
inline constexpr const char* kafka_property_env_prefix = "FINSTREAM_KAFKA_PROPERTY_";
/// The property name of FINSTREAM_KAFKA_PROPERTY_<rest>'s `rest` ("SASL_MECHANISM" →
/// "sasl.mechanism", "A__B" → "a_b").
std::string kafka_property_from_env(const std::string& rest);

/// Adds the flags of the options named in `keys` to `app` (values land in `raw`), plus --config.
class option_binder {
public:
  option_binder(CLI::App& app, const std::vector<std::string>& keys);

  /// After app.parse(): defaults < file (--config, FINSTREAM_CONFIG, else ./config/finstream.toml
  /// when present) < environment < flags. Throws std::invalid_argument on a bad file or value.
  settings resolve() const;

private:
  std::map<std::string, std::string> raw_;
  std::map<std::string, CLI::Option*> options_;
  std::string config_path_;
  CLI::Option* config_opt_ = nullptr;
};

/// Reads a TOML file into key → value strings (arrays of strings joined by commas).
std::map<std::string, std::string> read_config_file(const std::string& path);

} // namespace finstream::cli
