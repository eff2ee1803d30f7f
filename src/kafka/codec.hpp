// JSON wire format (schema version 1) of the work units on Kafka: fetch_task on the task topic,
// bar_batch on the bar topic. Encoding is hand-written and fast; decoding uses simdjson and
// validates everything, so a malformed message becomes a one-line reason, never a crash.
//
// v1 documents (field order as written; readers accept any order and ignore unknown fields):
//   {"v":1,"type":"fetch_task","task_id":"...","symbol":"AAPL","from":"2020-01-01",
//    "to":"2020-12-31"}
//   {"v":1,"type":"bar_batch","task_id":"...","symbol":"AAPL","from":"...","to":"...",
//    "seq":0,"last":true,
//    "bars":[["2020-01-02",open,high,low,close,adj_close,volume],...],
//    "splits":[["2020-08-31",numerator,denominator],...],
//    "dividends":[["2020-08-07",amount],...],
//    "error":"","permanent":false}     (+ ,"throttled":true on a throttled failure; absent =
//                                       false)
// Doubles are written as the shortest decimal that reads back to the same bits, so a decoded
// bar is bit-identical to the encoded one. Dates are "YYYY-MM-DD".
//
// Decoding rejects: invalid JSON or UTF-8, a missing field or one of the wrong type, "v" other
// than 1, a "type" other than the expected one, an invalid symbol (core/symbol.hpp), an invalid
// date or from > to, a price or split factor that is not finite and > 0 (adj_close may be null: a
// broken adjusted close, decoded as NaN, see core/bar.hpp), a negative dividend or
// volume, bar dates not strictly increasing, seq beyond 32 bits, and an error batch (non-empty
// "error") that carries bars or is not the last chunk.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/work.hpp"

namespace finstream::kafka {

/// The schema version this build writes and reads.
inline constexpr int codec_version = 1;

/// Either a decoded value or the reason it could not be decoded (one line, no message content
/// beyond short excerpts of offending values).
template <class T>
class decoded {
public:
  decoded(T value)
      : value_(std::move(value)) {}
  static decoded failure(std::string reason) {
    decoded d;
    d.error_ = std::move(reason);
    return d;
  }

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /// Precondition: ok().
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  /// Empty when ok().
  const std::string& error() const noexcept { return error_; }

private:
  decoded() = default;
  std::optional<T> value_;
  std::string error_;
};

/// Appends the JSON of `t` / `b` to `out` (no trailing newline). Strings are escaped; invalid
/// UTF-8 in them is replaced by '?', so the output always decodes.
void encode(const fetch_task& t, std::string& out);
void encode(const bar_batch& b, std::string& out);

inline std::string encode(const fetch_task& t) {
  std::string s;
  encode(t, s);
  return s;
}
inline std::string encode(const bar_batch& b) {
  std::string s;
  encode(b, s);
  return s;
}

/// Decoders. Thread-safe (each thread keeps its own simdjson parser); `json` need not be padded.
decoded<fetch_task> decode_fetch_task(std::string_view json);
decoded<bar_batch> decode_bar_batch(std::string_view json);

} // namespace finstream::kafka
