// Group consumer with cooperative rebalancing, caller-chosen start offsets, a self-tracked pause
// set and explicit commits.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kafka/config.hpp"
#include "kafka/record.hpp"

namespace finstream::kafka {

/// The consumer groups finstream uses (lag-based autoscalers must watch these names).
inline constexpr const char* agents_group = "finstream-agents";
inline constexpr const char* processors_group = "finstream-processors";

/// Told about partition assignment changes. Both calls run synchronously on the thread that
/// calls consumer::poll() or consumer::close(), from inside that call; they may call the
/// consumer's commit/pause/resume/seek/position methods, but not poll() or close().
class rebalance_listener {
public:
  virtual ~rebalance_listener() = default;

  /// `partitions` were just assigned to this member (cooperative: only the newly added ones).
  /// Return the offset to start each of them at (the next offset to consume, e.g. read from
  /// PostgreSQL); partitions absent from the map start at the group's committed offset, or per
  /// auto.offset.reset when there is none. Called BEFORE the partitions are assigned; nothing of
  /// them is returned by poll() before this returns. An exception thrown here is rethrown by
  /// poll() after the partitions were assigned PAUSED; poll() never returns a record of theirs
  /// (not even one librdkafka fetched before the pause took effect), resume() leaves them paused,
  /// and the consumer must then be closed.
  virtual offset_map on_assigned(const std::vector<topic_partition>& partitions) {
    (void)partitions;
    return {};
  }

  /// `partitions` are about to be taken away (cooperative: only the ones that move). Called
  /// BEFORE they are unassigned, so the caller can flush its work and commit their offsets; they
  /// are unassigned when this returns (also when it throws; the exception is then rethrown by
  /// poll() / close()). `lost` = the group already gave them to someone else (session timed
  /// out): committing them will fail, and work done on them may be redone by the new owner.
  virtual void on_revoked(const std::vector<topic_partition>& partitions, bool lost) {
    (void)partitions;
    (void)lost;
  }
};

/// Consumer lag of one assigned partition. position / high_watermark are -1 when not known yet
/// (nothing fetched); lag is then -1 too.
struct partition_lag {
  topic_partition tp;
  std::int64_t position = -1;
  std::int64_t high_watermark = -1;
  std::int64_t lag = -1;
};

/// A snapshot of a consumer's counters (the same values are exported as metrics).
struct consumer_stats {
  std::uint64_t consumed = 0;         // records returned by poll()
  std::uint64_t transient_errors = 0; // errors librdkafka recovers from (logged)
  std::uint64_t assigned_events = 0;  // rebalance callbacks that added partitions
  std::uint64_t revoked_events = 0;   // ... that removed partitions (lost ones included)
  std::uint64_t lost_events = 0;
  std::uint64_t commits_ok = 0; // offset commit results (async and sync)
  std::uint64_t commits_failed = 0;
};

/// A KafkaConsumer in group `group_id` (enable.auto.commit=false, cooperative-sticky by default).
///
/// Threads: poll(), subscribe() and close() must be called from ONE thread (the polling thread;
/// the rebalance listener runs on it, inside poll()/close()). pause/resume/pause_all/resume_all,
/// commit_async, commit_sync, committed, seek, position, assignment, paused, lag and stats are
/// thread-safe and may be called from other threads too (e.g. the sink signalling backpressure),
/// but not concurrently with close().
///
/// Pausing: the wrapper tracks the paused set itself, per partition and whether assigned or not,
/// and re-applies it after every rebalance: a paused partition that is revoked and later assigned
/// again comes back paused, one resumed meanwhile comes back running; while pause_all() is in
/// effect, newly assigned partitions are paused too. Paused partitions keep their place in the
/// group (poll() keeps serving heartbeats and rebalances). A poll() that starts after pause()
/// returned returns nothing more of the partition (already fetched records are dropped), and
/// resume() continues right after the last record poll() returned.
/// (librdkafka 2.0.2 itself keeps a pause across unassign/assign and re-delivers from the
/// committed offset when resuming a partition that is not paused; the wrapper hides both.)
class consumer {
public:
  /// `listener` (may be null) must outlive the consumer.
  consumer(const config& c, std::string group_id, rebalance_listener* listener = nullptr);
  /// Calls close() if it was not called (errors are logged, not thrown).
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  /// Joins the group for `topics` (replacing any previous subscription).
  void subscribe(const std::vector<std::string>& topics);

  /// Returns up to `max_records` records, waiting up to `timeout` for the first one and taking
  /// what is already fetched after it. Rebalance callbacks run inside. End-of-partition events
  /// are skipped; transient errors (broker down, leader moves, missing topic) are logged and
  /// counted; fatal errors and authorization failures throw kafka::error, as does a poll() after
  /// close(); an exception the listener threw is rethrown as it is. Call at least every
  /// max.poll.interval.ms (5 min), also while paused.
  std::vector<record> poll(std::size_t max_records, std::chrono::milliseconds timeout);

  /// Stops/resumes fetching `partitions` (assigned or not: the set is remembered). Strict: from
  /// pause() on, poll() returns no record of a paused partition, even one librdkafka fetched
  /// before the pause took effect (it is dropped, and resume() positions the partition at the
  /// first dropped record, so nothing is skipped and the partition's order holds).
  void pause(const std::vector<topic_partition>& partitions);
  void resume(const std::vector<topic_partition>& partitions);
  /// Pauses every assigned partition and every partition assigned later, until resume_all().
  void pause_all();
  /// Clears the paused set and the pause_all state; resumes everything assigned.
  void resume_all();
  /// The partitions currently paused on this member (assigned ones only).
  std::set<topic_partition> paused() const;
  /// Tests only: waits `delay` between applying an assignment and pausing its paused partitions,
  /// widening the window in which librdkafka fetches them.
  void delay_pauses_for_tests(std::chrono::milliseconds delay);

  /// Commits `offsets` (next offsets to consume) without waiting; results are counted and
  /// logged when served by a later poll(). Kafka rejects commits for partitions this member no
  /// longer owns; that is logged, not thrown (PostgreSQL holds the authoritative offsets).
  void commit_async(const offset_map& offsets);
  /// Commits `offsets` and waits for the result. Throws kafka::error on failure.
  void commit_sync(const offset_map& offsets);

  /// The group's committed offsets for `partitions` (absent: none committed). Queries the
  /// group coordinator; throws kafka::error on failure or after `timeout`.
  offset_map committed(const std::vector<topic_partition>& partitions,
                       std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Moves the fetch position of an assigned partition. Throws kafka::error on failure.
  void seek(const topic_partition& tp, std::int64_t offset,
            std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Positions (next offset poll() returns) of the assigned partitions; -1001 when unknown.
  offset_map position() const;

  /// The current assignment.
  std::vector<topic_partition> assignment() const;

  /// Lag of each assigned partition: high watermark − position. With `query_timeout` zero the
  /// watermarks are those cached from fetch responses (no broker round trip; stale for paused
  /// partitions); otherwise each partition's watermark is queried from its leader.
  std::vector<partition_lag>
  lag(std::chrono::milliseconds query_timeout = std::chrono::milliseconds{0}) const;

  consumer_stats stats() const;
  const std::string& group_id() const;
  /// librdkafka's member id in the group (empty before joining).
  std::string member_id() const;

  /// Leaves the group cleanly: revokes the assignment (the listener's on_revoked runs here, on
  /// the calling thread), leaves the group so that the other members get the partitions at once,
  /// and closes the client. Idempotent. Throws kafka::error when the listener threw.
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace finstream::kafka
