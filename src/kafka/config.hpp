// Client configuration shared by the Kafka wrappers: bootstrap servers, client id, the defaults
// finstream relies on, and pass-through librdkafka properties.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace finstream::metrics {
class registry;
}

namespace finstream::kafka {

/// One librdkafka property (CONFIGURATION.md name and value).
using property = std::pair<std::string, std::string>;
using properties = std::vector<property>;

/// How a client is configured. Properties are applied in this order, later ones winning:
/// common_defaults(), the role's defaults (producer_defaults() / consumer_defaults()),
/// bootstrap.servers and client.id from the fields below, `extra`, then the role's own
/// `producer_extra` / `consumer_extra`. So anything finstream sets can be overridden by the user.
/// Plain value type; copy freely.
struct config {
  std::string bootstrap_servers; // "host:port[,host:port...]"; required
  std::string client_id = "finstream";
  properties extra;          // passed through to every client (producer, consumer, admin)
  properties producer_extra; // producers only
  properties consumer_extra; // consumers only

  /// How long producer::produce blocks while librdkafka's local queue is full before it throws
  /// (the queue is bounded by queue.buffering.max.messages / .kbytes, so a stalled broker turns
  /// into backpressure on the caller, then into an error, never into unbounded memory).
  std::chrono::milliseconds produce_block_timeout{60'000};

  /// Where the wrappers register their metrics; nullptr = metrics::registry::global().
  metrics::registry* registry = nullptr;

  /// Adds "key=value" (as written on a command line or in a config file) to `extra`.
  /// Throws config_error when there is no '=' or the key is empty.
  void set(std::string_view key_equals_value);

  /// Properties every client gets (see config.cpp for the reason of each).
  static const properties& common_defaults();
  /// Producer defaults: idempotence, acks=all, murmur2_random partitioner, lz4, bounded queue.
  static const properties& producer_defaults();
  /// Consumer defaults: manual commits and offset stores, cooperative-sticky, earliest, bounded
  /// pre-fetch queue.
  static const properties& consumer_defaults();
};

/// Splits "key=value" (key trimmed; the value is everything after the first '=').
/// Throws config_error on a missing '=' or an empty key.
property parse_property(std::string_view key_equals_value);

/// The metrics registry a config points to (global() when unset).
metrics::registry& registry_of(const config& c);

} // namespace finstream::kafka
