// Kafka client defaults and the translation of kafka::config into librdkafka Conf objects.
#include "kafka/config.hpp"

#include <cctype>

#include <librdkafka/rdkafka.h>

#include "core/log.hpp"
#include "kafka/detail.hpp"
#include "metrics/metrics.hpp"

namespace finstream::kafka {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

} // namespace

void config::set(std::string_view key_equals_value) {
  extra.push_back(parse_property(key_equals_value));
}

property parse_property(std::string_view kv) {
  auto eq = kv.find('=');
  if (eq == std::string_view::npos)
    throw config_error("kafka property '" + std::string{trim(kv.substr(0, 64))} +
                       "' has no '=' (expected key=value)");
  auto key = trim(kv.substr(0, eq));
  if (key.empty()) throw config_error("kafka property with an empty key (expected key=value)");
  return {std::string{key}, std::string{kv.substr(eq + 1)}};
}

metrics::registry& registry_of(const config& c) {
  return c.registry ? *c.registry : metrics::registry::global();
}

const properties& config::common_defaults() {
  static const properties p{
      // Brokers close idle connections (connections.max.idle.ms); that is normal, not worth a log.
      {"log.connection.close", "false"},
      // Topics are created by kafka::admin with finstream's partition count; never implicitly by a
      // metadata request or a produce on brokers that allow auto-creation (with 1 partition).
      {"allow.auto.create.topics", "false"},
  };
  return p;
}

const properties& config::producer_defaults() {
  static const properties p{
      // No duplicates and no reordering on internal retries: one symbol's bars stay in order.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      // Same key → same partition in every process and in Java clients (Kafka's default
      // partitioner is murmur2). librdkafka's own default, consistent_random, hashes with CRC32,
      // which would disagree with any Java producer or tool writing to the same topics.
      {"partitioner", "murmur2_random"},
      // JSON bars compress ~4-6x; lz4 costs little CPU on the 2 shared cores (zstd compresses more
      // but costs more CPU per byte; the broker is local or on a fast network).
      {"compression.type", "lz4"},
      // librdkafka 2.0's default, stated explicitly: a few ms of batching for throughput.
      {"linger.ms", "5"},
      // Bounded local queue (librdkafka's default is 1 GB): produce() blocks beyond this.
      {"queue.buffering.max.messages", "100000"},
      {"queue.buffering.max.kbytes", "65536"},
  };
  return p;
}

const properties& config::consumer_defaults() {
  static const properties p{
      // Offsets are committed explicitly, after the results are safe (PostgreSQL or delivered
      // bars).
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Incremental rebalancing: members keep their partitions while others join or leave.
      {"partition.assignment.strategy", "cooperative-sticky"},
      // A new group starts from the oldest task/bar still in the topic (nothing is skipped).
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      // A killed member's partitions move after 10 s instead of the default 45 s.
      {"session.timeout.ms", "10000"},
      // Members learn of a rebalance at their next heartbeat; a cooperative rebalance takes two
      // rounds, so 1 s (instead of 3 s) makes joins, leaves and scale-out settle in ~2 s.
      {"heartbeat.interval.ms", "1000"},
      // Bounded pre-fetch (default 64 MB per consumer): with paused partitions this is the most a
      // consumer holds in memory.
      {"queued.max.messages.kbytes", "16384"},
      // One fetch response is buffered whole (and decompressed: lz4 bars expand ~5x) before it
      // is queued (default up to 50 MB, 1 MB per partition). Measured on a processor draining
      // 2 M bars from 6 partitions: with 8 MB / 1 MB its resident set kept growing with the
      // depth of the backlog (peak 86 MiB vs 68 MiB for a backlog 4 times smaller); with
      // 1 MB / 256 KB it stays flat, at the same throughput (e2e memory test).
      {"fetch.max.bytes", "1048576"},
      {"max.partition.fetch.bytes", "262144"},
      // A fetch waits at the broker up to this long for data (default 500 ms); a partition resumed
      // meanwhile is only fetched by the next request. Processors pause and resume under
      // backpressure: with the default each resume idled up to half a second (measured: e2e
      // throughput 39k → see bench e2e); 50 ms costs ~20 empty fetches/s per idle consumer.
      {"fetch.wait.max.ms", "50"},
  };
  return p;
}

namespace detail {

std::string describe(RdKafka::ErrorCode code) {
  const char* name = rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code));
  return std::string{name ? name : "?"} + " (" + RdKafka::err2str(code) + ")";
}

void set_property(RdKafka::Conf& conf, const std::string& key, const std::string& value) {
  std::string errstr;
  switch (conf.set(key, value, errstr)) {
  case RdKafka::Conf::CONF_OK:
    return;
  case RdKafka::Conf::CONF_UNKNOWN:
    throw config_error("unknown kafka property '" + key + "'");
  case RdKafka::Conf::CONF_INVALID:
  default:
    // librdkafka's text may quote the value; sensitive properties (passwords, keys) accept any
    // string, so their values never reach this message.
    throw config_error("invalid value for kafka property '" + key + "': " + errstr);
  }
}

void event_router::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
  case RdKafka::Event::EVENT_LOG: {
    log::level lvl = log::level::debug;
    switch (event.severity()) {
    case RdKafka::Event::EVENT_SEVERITY_EMERG:
    case RdKafka::Event::EVENT_SEVERITY_ALERT:
    case RdKafka::Event::EVENT_SEVERITY_CRITICAL:
    case RdKafka::Event::EVENT_SEVERITY_ERROR:
      lvl = log::level::err;
      break;
    case RdKafka::Event::EVENT_SEVERITY_WARNING:
      lvl = log::level::warn;
      break;
    case RdKafka::Event::EVENT_SEVERITY_NOTICE:
    case RdKafka::Event::EVENT_SEVERITY_INFO:
      lvl = log::level::info;
      break;
    case RdKafka::Event::EVENT_SEVERITY_DEBUG:
    default:
      lvl = log::level::debug;
      break;
    }
    if (log::enabled(lvl))
      log::write(lvl, "kafka", "librdkafka",
                 {{"client", client_}, {"facility", event.fac()}, {"msg", event.str()}});
    if (lvl == log::level::err) {
      std::lock_guard<std::mutex> lock(failure_mutex_);
      last_failure_ = event.str();
    }
    break;
  }
  case RdKafka::Event::EVENT_ERROR: {
    {
      std::lock_guard<std::mutex> lock(failure_mutex_);
      last_failure_ = event.str();
    }
    if (on_error_) on_error_(event.err(), event.str(), event.fatal());
    break;
  }
  case RdKafka::Event::EVENT_THROTTLE:
    log::debug(
        "kafka", "throttled",
        {{"client", client_}, {"broker", event.broker_name()}, {"ms", event.throttle_time()}});
    break;
  case RdKafka::Event::EVENT_STATS:
  default:
    break;
  }
}

std::string event_router::last_failure() const {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  return last_failure_;
}

std::unique_ptr<RdKafka::Conf> make_conf(const config& c, role r, event_router* router) {
  if (c.bootstrap_servers.empty()) throw config_error("kafka: no bootstrap servers configured");
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  auto apply = [&](const properties& ps) {
    for (const auto& [k, v] : ps)
      set_property(*conf, k, v);
  };
  apply(config::common_defaults());
  if (r == role::producer) apply(config::producer_defaults());
  if (r == role::consumer) apply(config::consumer_defaults());
  set_property(*conf, "bootstrap.servers", c.bootstrap_servers);
  set_property(*conf, "client.id", c.client_id);
  apply(c.extra);
  if (r == role::producer) apply(c.producer_extra);
  if (r == role::consumer) apply(c.consumer_extra);
  if (router) {
    std::string errstr;
    if (conf->set("event_cb", static_cast<RdKafka::EventCb*>(router), errstr) !=
        RdKafka::Conf::CONF_OK)
      throw config_error("kafka: cannot set event callback: " + errstr);
  }
  return conf;
}

} // namespace detail

} // namespace finstream::kafka
