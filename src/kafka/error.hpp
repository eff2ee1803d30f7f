// The exception every Kafka wrapper throws: librdkafka's error code and name plus a one-line text.
#pragma once

#include <stdexcept>
#include <string>

namespace finstream::kafka {

/// A Kafka operation failed. `code` is librdkafka's RdKafka::ErrorCode as an int (so that this
/// header does not pull in rdkafkacpp.h); 0 for configuration/usage errors found by the wrappers.
/// `fatal` means the client instance is unusable (librdkafka fatal error, e.g. an idempotent
/// producer that lost its sequence, or a fenced consumer): the owner must recreate it. The text
/// never contains property values, so a password set through properties cannot leak into logs.
class error : public std::runtime_error {
public:
  error(const std::string& what, int code = 0, bool fatal = false)
      : std::runtime_error(what)
      , code_(code)
      , fatal_(fatal) {}

  int code() const noexcept { return code_; }
  bool fatal() const noexcept { return fatal_; }

private:
  int code_;
  bool fatal_;
};

/// An invalid configuration: unknown property, invalid value, missing bootstrap servers.
class config_error : public error {
public:
  explicit config_error(const std::string& what)
      : error(what) {}
};

} // namespace finstream::kafka
