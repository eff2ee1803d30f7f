// Keyed, idempotent message production with delivery tracking and backpressure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "kafka/config.hpp"
#include "kafka/record.hpp"

namespace finstream::kafka {

/// Counts the delivery reports of a group of messages (e.g. one task's bar batches) so that the
/// caller can wait for exactly those. Create with std::make_shared, pass to producer::produce for
/// each message, then producer::wait(tracker, timeout). Counters are updated by whichever thread
/// serves the producer's delivery reports; reads are thread-safe.
class delivery_tracker {
public:
  std::uint64_t pending() const noexcept { return pending_.load(std::memory_order_acquire); }
  std::uint64_t delivered() const noexcept { return delivered_.load(std::memory_order_acquire); }
  std::uint64_t failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  /// The first delivery error ("topic[partition]: ERR_NAME (text)"), empty when none failed.
  std::string first_error() const;

  /// Every message produced with this tracker so far was delivered successfully.
  bool all_delivered() const noexcept { return pending() == 0 && failed() == 0; }

private:
  friend class producer;
  void on_enqueued() noexcept { pending_.fetch_add(1, std::memory_order_acq_rel); }
  void on_report(bool ok, const std::string& error);

  std::atomic<std::uint64_t> pending_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  mutable std::mutex mutex_;
  std::string first_error_;
};

/// A snapshot of a producer's counters (the same values are exported as metrics).
struct producer_stats {
  std::uint64_t produced = 0;         // accepted into librdkafka's queue
  std::uint64_t delivered = 0;        // acknowledged by the brokers (acks=all)
  std::uint64_t failed = 0;           // delivery reports with an error
  std::uint64_t queue_full_waits = 0; // produce() calls that had to wait for queue space
  std::uint64_t in_flight = 0;        // produced, report not yet served
};

/// The partition the producer's partitioner (murmur2, as Java's default) gives a record keyed
/// `key` in a topic of `partitions` partitions: where a symbol's bars are. `partitions` >= 1.
std::int32_t key_partition(std::string_view key, int partitions);

/// An idempotent librdkafka producer (acks=all, murmur2_random partitioner: the same key lands on
/// the same partition in every process and in Java clients).
///
/// Threads: produce, poll, wait and flush may be called from any thread, concurrently.
/// Delivery reports are served by poll()/wait()/flush() and opportunistically by produce() (it
/// polls without blocking), on the calling thread. The destructor flushes (up to
/// `shutdown_flush_timeout`), so messages accepted before destruction are delivered when the
/// brokers allow; call flush() first to know the outcome.
class producer {
public:
  explicit producer(const config& c);
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  /// Enqueues `value` for `topic` keyed by `key` (copied; the caller's buffers may be reused at
  /// once). Blocks while librdkafka's local queue is full (serving delivery reports meanwhile),
  /// up to config::produce_block_timeout. Throws kafka::error when the queue stays full, the
  /// topic is unknown, the message is larger than message.max.bytes, or after a fatal error.
  /// `tracker`, when given, counts this message's delivery report.
  void produce(const std::string& topic, std::string_view key, std::string_view value,
               const headers& hs = {}, const std::shared_ptr<delivery_tracker>& tracker = {});

  /// Serves delivery reports, waiting up to `timeout` for the first one. Returns the count served.
  int poll(std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  /// Waits until every message produced with `tracker` has a delivery report (success or
  /// failure) or `timeout` passes. Returns tracker->all_delivered(): true only when all of them
  /// were delivered successfully. Throws after a fatal producer error.
  bool wait(const delivery_tracker& tracker, std::chrono::milliseconds timeout);

  /// Waits until every message produced so far (by any thread) has its delivery report, or
  /// `timeout` passes; linger.ms is ignored meanwhile. Returns true when nothing is in flight.
  bool flush(std::chrono::milliseconds timeout);

  producer_stats stats() const;
  const std::string& client_id() const;

  /// How long the destructor flushes before it gives up (messages still queued are then lost,
  /// and logged as such). Default 10 s, within the 10 s shutdown budget when set lower.
  void set_shutdown_flush_timeout(std::chrono::milliseconds t) { shutdown_flush_timeout_ = t; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::chrono::milliseconds shutdown_flush_timeout_{10'000};
};

} // namespace finstream::kafka
