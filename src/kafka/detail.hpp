// Internal to src/kafka (not for other parts): building librdkafka Conf objects from kafka::config,
// routing librdkafka's log and error events to finstream's log, and error-text helpers.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <librdkafka/rdkafkacpp.h>

#include "kafka/config.hpp"
#include "kafka/error.hpp"

namespace finstream::kafka::detail {

enum class role { producer, consumer, admin };

/// "ERR_NAME (text)" for an error code, e.g. "_QUEUE_FULL (Local: Queue full)".
std::string describe(RdKafka::ErrorCode code);

/// Routes librdkafka's log lines (from its internal threads) to finstream's log, and its error
/// events to `on_error(code, text, fatal)` (called from librdkafka's threads or from the polling
/// thread; must be thread-safe). Must outlive the client handle it is attached to.
class event_router : public RdKafka::EventCb {
public:
  using error_handler = std::function<void(RdKafka::ErrorCode, const std::string&, bool fatal)>;

  event_router(std::string client, error_handler on_error)
      : client_(std::move(client))
      , on_error_(std::move(on_error)) {}

  void event_cb(RdKafka::Event& event) override;

  /// The text of the last error-level log line or error event (e.g. "...: SASL authentication
  /// error: Authentication failed: Invalid username or password"), "" when none. Thread-safe.
  /// librdkafka never puts a sensitive property's value in these texts.
  std::string last_failure() const;

private:
  std::string client_;
  error_handler on_error_;
  mutable std::mutex failure_mutex_;
  std::string last_failure_; // guarded by failure_mutex_
};

/// A Conf for `r` built from `c` (see config.hpp for the order properties are applied in), with
/// `router` attached as event_cb. Throws config_error naming the property (never its value).
std::unique_ptr<RdKafka::Conf> make_conf(const config& c, role r, event_router* router);

/// Sets one property on `conf`; throws config_error naming the property on failure.
void set_property(RdKafka::Conf& conf, const std::string& key, const std::string& value);

/// The first fatal error recorded by an error handler (thread-safe, set once).
class fatal_state {
public:
  void record(RdKafka::ErrorCode code, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_.load(std::memory_order_relaxed)) return;
    code_ = code;
    text_ = text;
    failed_.store(true, std::memory_order_release);
  }
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  /// Throws kafka::error (fatal) when a fatal error was recorded.
  void check(const char* what) const {
    if (!failed()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    throw error(std::string{what} + ": fatal Kafka client error: " + text_, code_, true);
  }

private:
  mutable std::mutex mutex_;
  std::atomic<bool> failed_{false};
  RdKafka::ErrorCode code_ = RdKafka::ERR_NO_ERROR;
  std::string text_;
};

} // namespace finstream::kafka::detail
