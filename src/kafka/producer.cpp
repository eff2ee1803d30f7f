// librdkafka producer wrapper: produce with backpressure, delivery reports counted per tracker.
#include "kafka/producer.hpp"

#include <algorithm>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "core/log.hpp"
#include "kafka/detail.hpp"
#include "metrics/metrics.hpp"

namespace finstream::kafka {

namespace {

using clock = std::chrono::steady_clock;

/// Logs the first 10 occurrences of something, then every 1000th (a dead broker fails every
/// queued message; one line per message would flood the log).
bool should_log(std::uint64_t nth) {
  return nth <= 10 || nth % 1000 == 0;
}

} // namespace

std::string delivery_tracker::first_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return first_error_;
}

void delivery_tracker::on_report(bool ok, const std::string& error) {
  if (ok) {
    delivered_.fetch_add(1, std::memory_order_acq_rel);
  } else {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (first_error_.empty()) first_error_ = error;
    }
    failed_.fetch_add(1, std::memory_order_acq_rel);
  }
  // Decremented last: a waiter that sees pending()==0 also sees the outcome counters.
  pending_.fetch_sub(1, std::memory_order_acq_rel);
}

struct producer::impl : RdKafka::DeliveryReportCb {
  std::string client;
  detail::fatal_state fatal;
  std::chrono::milliseconds block_timeout;

  std::atomic<std::uint64_t> produced{0}, delivered{0}, failed{0}, queue_full_waits{0};
  metrics::counter& m_produced;
  metrics::counter& m_delivered;
  metrics::counter& m_failed;
  metrics::counter& m_queue_full;

  detail::event_router router;
  std::unique_ptr<RdKafka::Producer> handle; // last: destroyed before the callbacks it uses

  explicit impl(const config& c)
      : client(c.client_id)
      , block_timeout(c.produce_block_timeout)
      , m_produced(registry_of(c).counter("finstream_kafka_produced_messages_total",
                                          "Messages accepted by the Kafka producer",
                                          {{"client", c.client_id}}))
      , m_delivered(registry_of(c).counter("finstream_kafka_delivered_messages_total",
                                           "Messages acknowledged by the Kafka brokers",
                                           {{"client", c.client_id}}))
      , m_failed(registry_of(c).counter("finstream_kafka_delivery_failures_total",
                                        "Messages whose delivery failed",
                                        {{"client", c.client_id}}))
      , m_queue_full(registry_of(c).counter(
            "finstream_kafka_produce_queue_full_total",
            "produce() calls that waited because the local producer queue was full",
            {{"client", c.client_id}}))
      , router(c.client_id, [this](RdKafka::ErrorCode code, const std::string& text,
                                   bool is_fatal) { on_error(code, text, is_fatal); }) {
    auto conf = detail::make_conf(c, detail::role::producer, &router);
    std::string errstr;
    if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), errstr) !=
        RdKafka::Conf::CONF_OK)
      throw config_error("kafka producer: cannot set delivery callback: " + errstr);
    handle.reset(RdKafka::Producer::create(conf.get(), errstr));
    if (!handle) throw error("kafka producer: cannot create client: " + errstr);
  }

  void on_error(RdKafka::ErrorCode code, const std::string& text, bool is_fatal) {
    if (is_fatal) {
      // The idempotent producer cannot guarantee order/no-duplicates any more (e.g. fenced or
      // out-of-sequence): every later produce() throws, the owner recreates the producer.
      std::string reason = text;
      if (handle) {
        std::string detail_text;
        RdKafka::ErrorCode orig = handle->fatal_error(detail_text);
        if (orig != RdKafka::ERR_NO_ERROR) reason = detail::describe(orig) + ": " + detail_text;
      }
      fatal.record(code, reason);
      log::error("kafka", "producer_fatal", {{"client", client}, {"error", reason}});
      return;
    }
    switch (code) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__RESOLVE:
      // librdkafka reconnects by itself; messages wait in the queue (up to message.timeout.ms).
      log::warn("kafka", "producer_connection",
                {{"client", client}, {"error", detail::describe(code)}, {"detail", text}});
      break;
    default:
      log::warn("kafka", "producer_error",
                {{"client", client}, {"error", detail::describe(code)}, {"detail", text}});
      break;
    }
  }

  // Runs on the thread that polls (produce/poll/wait/flush callers).
  void dr_cb(RdKafka::Message& msg) override {
    auto* tracker = static_cast<std::shared_ptr<delivery_tracker>*>(msg.msg_opaque());
    std::string error_text;
    switch (msg.err()) {
    case RdKafka::ERR_NO_ERROR:
      delivered.fetch_add(1, std::memory_order_relaxed);
      m_delivered.inc();
      break;
    case RdKafka::ERR__MSG_TIMED_OUT:  // not acknowledged within message.timeout.ms
    case RdKafka::ERR__PURGE_QUEUE:    // purged at shutdown before it was sent
    case RdKafka::ERR__PURGE_INFLIGHT: // purged at shutdown while in flight
    case RdKafka::ERR__UNKNOWN_TOPIC:  // topic missing (not created by kafka::admin)
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR__FATAL:
    default: {
      error_text = msg.topic_name() + "[" + std::to_string(msg.partition()) +
                   "]: " + detail::describe(msg.err());
      std::uint64_t n = failed.fetch_add(1, std::memory_order_relaxed) + 1;
      m_failed.inc();
      if (should_log(n))
        log::warn("kafka", "delivery_failed",
                  {{"client", client}, {"error", error_text}, {"failures", n}});
      break;
    }
    }
    if (tracker) {
      (*tracker)->on_report(msg.err() == RdKafka::ERR_NO_ERROR, error_text);
      delete tracker;
    }
  }
};

producer::producer(const config& c)
    : impl_(std::make_unique<impl>(c)) {}

producer::~producer() {
  try {
    if (!flush(shutdown_flush_timeout_)) {
      int left = impl_->handle->outq_len();
      log::error("kafka", "producer_shutdown_undelivered",
                 {{"client", impl_->client}, {"messages", left}});
    }
  } catch (const std::exception& e) {
    log::error("kafka", "producer_shutdown", {{"client", impl_->client}, {"error", e.what()}});
  }
  // Fail whatever is left (reports served below), so every tracker sees an outcome and every
  // opaque is freed before the handle goes away.
  impl_->handle->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  impl_->handle->poll(0);
  impl_->handle->flush(100);
}

const std::string& producer::client_id() const {
  return impl_->client;
}

void producer::produce(const std::string& topic, std::string_view key, std::string_view value,
                       const headers& hs, const std::shared_ptr<delivery_tracker>& tracker) {
  impl_->fatal.check("kafka produce");
  std::unique_ptr<RdKafka::Headers> hdrs;
  if (!hs.empty()) {
    hdrs.reset(RdKafka::Headers::create());
    for (const auto& [k, v] : hs)
      hdrs->add(k, v.data(), v.size());
  }
  std::unique_ptr<std::shared_ptr<delivery_tracker>> opaque;
  if (tracker) {
    opaque = std::make_unique<std::shared_ptr<delivery_tracker>>(tracker);
    // Counted before produce(): another thread may serve the report before produce() returns.
    tracker->on_enqueued();
  }
  auto cancel = [&] {
    if (tracker) tracker->pending_.fetch_sub(1, std::memory_order_acq_rel);
  };
  const auto deadline = clock::now() + impl_->block_timeout;
  bool waited = false;
  for (;;) {
    // RK_MSG_COPY: librdkafka copies key and value, so the caller's buffers are free on return.
    RdKafka::ErrorCode err = impl_->handle->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value.data()), value.size(), key.empty() ? nullptr : key.data(),
        key.size(), 0, hdrs.get(), opaque.get());
    switch (err) {
    case RdKafka::ERR_NO_ERROR:
      hdrs.release();   // owned by librdkafka now
      opaque.release(); // freed by dr_cb
      impl_->produced.fetch_add(1, std::memory_order_relaxed);
      impl_->m_produced.inc();
      impl_->handle->poll(0);
      return;
    case RdKafka::ERR__QUEUE_FULL:
      // Backpressure: serve delivery reports (which frees queue space) and retry.
      if (!waited) {
        waited = true;
        impl_->queue_full_waits.fetch_add(1, std::memory_order_relaxed);
        impl_->m_queue_full.inc();
      }
      if (clock::now() >= deadline) {
        cancel();
        throw error("kafka produce to '" + topic + "': local queue still full after " +
                        std::to_string(impl_->block_timeout.count()) + " ms",
                    err);
      }
      impl_->handle->poll(10);
      continue;
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
      cancel();
      throw error("kafka produce to '" + topic + "': message of " + std::to_string(value.size()) +
                      " bytes exceeds message.max.bytes",
                  err);
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION:
      cancel();
      throw error("kafka produce: unknown topic '" + topic + "'", err);
    case RdKafka::ERR__FATAL: {
      cancel();
      std::string text;
      RdKafka::ErrorCode orig = impl_->handle->fatal_error(text);
      impl_->fatal.record(orig, detail::describe(orig) + ": " + text);
      impl_->fatal.check("kafka produce");
      throw error("kafka produce: fatal error", err, true);
    }
    default:
      cancel();
      throw error("kafka produce to '" + topic + "' failed: " + detail::describe(err), err);
    }
  }
}

int producer::poll(std::chrono::milliseconds timeout) {
  return impl_->handle->poll(static_cast<int>(timeout.count()));
}

bool producer::wait(const delivery_tracker& tracker, std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (tracker.pending() == 0) return tracker.failed() == 0;
    impl_->fatal.check("kafka wait for delivery");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    // Short slices: another thread may serve this tracker's reports while we block here.
    impl_->handle->poll(static_cast<int>(std::min<std::int64_t>(left.count(), 10)));
  }
}

bool producer::flush(std::chrono::milliseconds timeout) {
  RdKafka::ErrorCode err = impl_->handle->flush(static_cast<int>(timeout.count()));
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    return true;
  case RdKafka::ERR__TIMED_OUT:
    return impl_->handle->outq_len() == 0;
  default:
    throw error("kafka flush failed: " + detail::describe(err), err);
  }
}

producer_stats producer::stats() const {
  producer_stats s;
  s.produced = impl_->produced.load(std::memory_order_relaxed);
  s.delivered = impl_->delivered.load(std::memory_order_relaxed);
  s.failed = impl_->failed.load(std::memory_order_relaxed);
  s.queue_full_waits = impl_->queue_full_waits.load(std::memory_order_relaxed);
  std::uint64_t done = s.delivered + s.failed;
  s.in_flight = s.produced > done ? s.produced - done : 0;
  return s;
}

std::int32_t key_partition(std::string_view key, int partitions) {
  // librdkafka's own partitioner function (the topic handle and opaques are unused by it).
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr,
                                          nullptr);
}

} // namespace finstream::kafka
