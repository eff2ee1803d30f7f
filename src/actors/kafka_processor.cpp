// Kafka processor (see kafka_processor.hpp).
#include "actors/kafka_processor.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>

#include "core/log.hpp"

#include "actors/processor_metrics.hpp"
#include "engine/partition_tracker.hpp"
#include "engine/session_commits.hpp"
#include "engine/resync.hpp"
#include "engine/symbol_processor.hpp"
#include "kafka/admin.hpp"
#include "kafka/codec.hpp"
#include "kafka/consumer.hpp"
#include "kafka/dead_letter.hpp"
#include "kafka/error.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"
#include "pg/retention_store.hpp"

namespace finstream::actors {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto reply_timeout = std::chrono::milliseconds{120000};
// How long a full batch waits for a free commit slot before the partitions are paused.
constexpr auto stall_grace = std::chrono::milliseconds{1000};
// How often an idle processor commits its PostgreSQL positions to Kafka again (see
// republish_when_idle).
constexpr auto republish_every = std::chrono::seconds{5};
constexpr std::int64_t offset_beginning = -2; // librdkafka's logical offset "beginning"
// Records per poll: a record is a batch of up to ~1000 bars, so this bounds decoded input too.
constexpr std::size_t max_poll_records = 16;
// How often a running session compares the data topic's partition count with the recorded one.
constexpr auto layout_check_interval = std::chrono::seconds{10};
// How often a running session reads the active indicator set's version (one indexed row).
constexpr auto set_check_interval = std::chrono::seconds{1};
// How often an idle session looks for symbols of its partitions left to fill, and how many it
// fills per commit.
constexpr auto fill_scan_interval = std::chrono::seconds{5};
constexpr std::size_t fills_per_commit = 16;

/// A processor computing the active set stored in PostgreSQL, or the configured one (version 0)
/// when none is stored.
/// The processor over `history` (the store, through the resync tracker), with the stored set.
engine::symbol_processor make_processor(const kafka_processor_config& cfg,
                                        pg_history_store& store, engine::history_store& history) {
  auto stored = store.active_set();
  return engine::symbol_processor(
      stored ? indicators::indicator_set::parse(stored->first) : cfg.indicators, history,
      cfg.options.max_cached, cfg.options.revision_window, stored ? stored->second : 0);
}

/// The data topic's partition count is not the one recorded in PostgreSQL: going on would move
/// symbols between processors with no hand-over. Not retried: the processor stops.
struct partition_layout_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One consumer session: from joining the group to leaving it (or failing). A failure (fenced
/// commit, lost database, broker error) ends the session; the actor then starts a fresh one, which
/// restarts every partition from PostgreSQL's offsets with state restored from the database.
class session : public kafka::rebalance_listener {
public:
  session(caf::blocking_actor* self, kafka_processor_config& cfg, pg_history_store& store,
          bool& running)
      : self_(self)
      , cfg_(cfg)
      , store_(store)
      , running_(running)
      , resync_(store)
      , proc_(make_processor(cfg, store, resync_))
      , dlq_(*cfg.producer, {}, cfg.dlq_suffix)
      , tracker_(proc_)
      , admin_(cfg.kafka)
      , consumer_(cfg.kafka, cfg.group, this) {}

  ~session() override {
    broken_ = true;
    processor_metrics::get().cached_symbols_changed(-reported_cache_);
  }

  void run() {
    consumer_.subscribe({cfg_.topic});
    while (running_) {
      drain_mailbox();
      if (!running_) break;
      check_layout({});
      check_indicator_set();
      auto records = consumer_.poll(max_poll_records, std::chrono::milliseconds{100});
      if (records.empty()) {
        republish_when_idle();
        fill_when_idle();
      }
      auto batches = decode_all(records);
      for (std::size_t i = 0; i < records.size(); ++i) {
        handle(records[i], batches[i]);
        // Bounded memory: never more than one batch's rows (plus one record's) pending.
        if (pending_.rows.size() >= cfg_.options.batch_rows) make_room_and_flush();
      }
      bool due = pending_.rows.size() >= cfg_.options.batch_rows ||
                 (dirty_ && clock_type::now() - oldest_ >= cfg_.options.batch_time);
      if (due && commits_.in_flight() < cfg_.options.max_inflight) flush();
    }
    flush();
    await_all();
    consumer_.close();
  }

  /// Backpressure. A full batch waits for a free commit slot; a short wait (a commit takes tens of
  /// milliseconds) simply blocks. When the sink is behind for longer (database slow, restarting),
  /// every partition is paused and the consumer keeps polling (group membership, rebalances) until
  /// a slot frees. Pausing is not the first resort because every resume costs librdkafka ~1 s
  /// before it fetches again (measured with 2.0.2), which would throttle a healthy pipeline.
  void make_room_and_flush() {
    if (commits_.in_flight() >= cfg_.options.max_inflight && !await_one_for(stall_grace)) {
      consumer_.pause_all();
      log::info("processor", "paused",
                {{"reason", "sink behind"}, {"inflight", commits_.in_flight()}});
      auto since = clock_type::now();
      while (commits_.in_flight() >= cfg_.options.max_inflight && running_) {
        // Group membership and rebalances only: a paused partition delivers nothing (the
        // consumer drops what librdkafka fetched before the pause and rewinds on resume), so no
        // record here can overtake the unhandled tail of the caller's poll (per-partition order).
        // Only records of partitions revoked inside this poll can come out, and handle()
        // skips those (not owned).
        auto records = consumer_.poll(max_poll_records, std::chrono::milliseconds{100});
        auto batches = decode_all(records);
        for (std::size_t i = 0; i < records.size(); ++i)
          handle(records[i], batches[i]);
        drain_mailbox();
        if (clock_type::now() - since > reply_timeout)
          throw std::runtime_error("the sink did not answer within 120 s");
      }
      consumer_.resume_all();
      log::info("processor", "resumed",
                {{"paused_ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since)
                      .count()}});
    }
    while (commits_.in_flight() >= cfg_.options.max_inflight)
      await_one();
    flush();
  }

  /// After a failure: waits for the replies of commits still in flight so that none is mistaken
  /// for a reply of the next session.
  void abandon() {
    broken_ = true;
    auto deadline = clock_type::now() + reply_timeout;
    while (commits_.in_flight() > 0 && clock_type::now() < deadline)
      self_->receive([&](const engine::commit_reply& r) { drop_reply(r); },
                     [&](stop_atom) { running_ = false; },
                     caf::after(std::chrono::seconds{1}) >> [] {});
  }

  kafka::offset_map on_assigned(const std::vector<kafka::topic_partition>& parts) override {
    std::vector<std::int32_t> ids;
    for (const auto& tp : parts)
      ids.push_back(tp.partition);
    tracker_.assigned(ids);
    check_layout(parts);
    auto claims = store_.claim(cfg_.group, cfg_.topic, ids);
    auto log_start = admin_.log_start_offsets(cfg_.topic, ids, std::chrono::seconds{10});
    kafka::offset_map start;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      auto stored = claims[i].next_offset.value_or(-1);
      auto first = log_start.at(parts[i].partition);
      if (first > std::max<std::int64_t>(stored, 0)) {
        overrun(parts[i], claims[i], first);
        stored = first; // the position recorded moved past the deleted records
      }
      owned_[parts[i]] = {claims[i].epoch, stored, stored};
      start[parts[i]] = stored >= 0 ? stored : offset_beginning;
    }
    // Symbols awaiting a restart, this processor's own overruns included (their partitions may
    // have been someone else's when recorded).
    resync_.reset(pg::pending_resyncs(store_.connection()));
    log::info("processor", "partitions_assigned", {{"count", parts.size()}});
    return start;
  }

  void on_revoked(const std::vector<kafka::topic_partition>& parts, bool lost) override {
    if (!broken_) {
      // Commit what was done on them while they are still ours (or find out they are not).
      flush();
      await_all();
    }
    std::vector<std::int32_t> ids;
    for (const auto& tp : parts) {
      owned_.erase(tp);
      ids.push_back(tp.partition);
    }
    tracker_.revoked(ids);
    log::info("processor", "partitions_revoked", {{"count", parts.size()}, {"lost", lost}});
  }

private:
  /// Retention deleted records of `tp` that were never processed (its stored offset is below the
  /// log start `first`). Counted, logged, and recorded in PostgreSQL with its re-plan (see
  /// pg::record_retention_overrun): reading on from the log start alone would skip their bars.
  void overrun(const kafka::topic_partition& tp, const pg::partition_claim& claim,
               std::int64_t first) {
    const std::int64_t from = claim.next_offset.value_or(0);
    pg::retention_overrun o{cfg_.group, cfg_.topic, tp.partition, claim.epoch, claim.next_offset,
                            first};
    const int partitions = layout_; // read by check_layout() before the claim
    if (partitions <= 0)
      throw std::runtime_error("partition count of '" + cfg_.topic + "' unknown");
    auto replan = pg::record_retention_overrun(
        store_.connection(), o,
        [partitions](const std::string& s) { return kafka::partition_of(s, partitions); });
    // Counted by the processor that recorded it (a superseded claim's processor only logs it).
    if (replan) processor_metrics::get().retention_overrun(first - from);
    std::size_t symbols = 0;
    std::string requests;
    for (const auto& r : replan.value_or(std::vector<pg::replan_request>{})) {
      symbols += r.symbols.size();
      requests += (requests.empty() ? "" : ",") + std::to_string(r.backfill_id);
    }
    log::error("processor", "retention_overrun",
               {{"topic", tp.topic},
                {"partition", tp.partition},
                {"stored_offset", from},
                {"log_start", first},
                {"lost_offsets", first - from},
                {"replanned_symbols", symbols},
                {"backfill_requests", requests.empty() ? "none" : requests},
                {"recorded", replan.has_value()}});
  }

  struct owned {
    std::int64_t epoch = 0;
    std::int64_t stored = -1;   // next offset as committed in PostgreSQL (-1: none yet)
    std::int64_t position = -1; // next offset after what this session has processed
  };

  /// Throws partition_layout_error when the data topic's partition count (or a partition in
  /// `assigned`) differs from the layout recorded in PostgreSQL (recorded by the first processor
  /// to ask). Without `assigned`, checks at most every layout_check_interval.
  void check_layout(const std::vector<kafka::topic_partition>& assigned) {
    const auto now = clock_type::now();
    if (assigned.empty() && now < next_layout_check_) return;
    next_layout_check_ = now + layout_check_interval;
    std::optional<int> count;
    try {
      count = admin_.partition_count(cfg_.topic, std::chrono::seconds{5});
    } catch (const kafka::error& e) {
      if (!assigned.empty()) throw;
      log::warn("processor", "partition_count_unknown", {{"reason", e.what()}});
      return;
    }
    if (!count) return; // not in the metadata (yet): the consumer reports a missing topic
    if (layout_ == 0) layout_ = store_.partition_layout(cfg_.group, cfg_.topic, *count);
    int seen = *count;
    for (const auto& tp : assigned)
      seen = std::max(seen, tp.partition + 1);
    if (seen == layout_) return;
    throw partition_layout_error(
        "the partition count of topic '" + cfg_.topic + "' changed from " +
        std::to_string(layout_) + " (recorded in PostgreSQL for group '" + cfg_.group + "') to " +
        std::to_string(seen) +
        ": symbols would move between processors without their state; this processor stops. "
        "See docs/operations.md, \"Changing the partitions of the data topic\"");
  }

  /// A batch boundary: when the active set's version changed, everything computed with the old
  /// set is committed, then the processor switches (cached states are restored again, added
  /// indicators filled, removed ones dropped).
  void check_indicator_set() {
    const auto now = clock_type::now();
    if (now < next_set_check_) return;
    next_set_check_ = now + set_check_interval;
    auto stored = store_.active_set();
    if (!stored || stored->second == proc_.set_version()) return;
    auto set = indicators::indicator_set::parse(stored->first);
    flush();
    await_all();
    proc_.set_indicators(std::move(set), stored->second);
    fill_queue_.clear();
    next_fill_scan_ = now;
    log::info("processor", "indicator_set_changed",
              {{"version", stored->second}, {"spec", stored->first}});
  }

  /// While idle: fills the symbols of owned partitions listed in indicator_fill_pending (those
  /// that get no new bars), a few per commit. The commit carries every owned partition's offset
  /// unchanged (compare-and-set on the owner epoch), so a fill is fenced like any batch.
  void fill_when_idle() {
    if (dirty_ || commits_.in_flight() > 0 || proc_.set_version() == 0 || layout_ <= 0) return;
    const auto now = clock_type::now();
    if (fill_queue_.empty()) {
      if (now < next_fill_scan_) return;
      next_fill_scan_ = now + fill_scan_interval;
      for (auto& s : store_.fill_pending(proc_.set_version()))
        fill_queue_.push_back(std::move(s));
    }
    std::size_t filled = 0;
    while (!fill_queue_.empty() && filled < fills_per_commit) {
      const std::string symbol = std::move(fill_queue_.front());
      fill_queue_.pop_front();
      const kafka::topic_partition tp{cfg_.topic, kafka::partition_of(symbol, layout_)};
      auto it = owned_.find(tp);
      if (it == owned_.end() || it->second.stored < 0) continue; // not ours (or never committed)
      tracker_.processing(symbol, tp.partition);
      if (proc_.fill(symbol, pending_)) ++filled;
    }
    if (pending_.empty()) return;
    mark_dirty();
    fence_ = true;
    flush();
    await_all();
  }

  void drain_mailbox() {
    for (bool more = true; more;) {
      more = false;
      self_->receive(
          [&](stop_atom) {
            running_ = false;
            more = true;
          },
          [&](const engine::commit_reply& r) {
            on_reply(r);
            more = true;
          },
          caf::after(std::chrono::milliseconds{0}) >> [] {});
      rethrow();
    }
  }

  /// Decodes a poll's records and restores, in one query, the state of every symbol among them
  /// that is not in memory yet (records of partitions still owned only: see partition_tracker).
  std::vector<kafka::decoded<bar_batch>> decode_all(const std::vector<kafka::record>& records) {
    std::vector<kafka::decoded<bar_batch>> out;
    std::vector<std::pair<std::int32_t, std::string>> polled;
    out.reserve(records.size());
    for (const auto& r : records) {
      out.push_back(kafka::decode_bar_batch(r.value));
      if (out.back()) polled.emplace_back(r.partition, out.back().value().symbol);
    }
    tracker_.preload(polled);
    return out;
  }

  void handle(const kafka::record& r, const kafka::decoded<bar_batch>& decoded) {
    auto it = owned_.find(r.where());
    if (it == owned_.end()) return; // not (or no longer) ours: its owner processes it
    mark_dirty();
    if (!decoded) {
      if (!dlq_tracker_) dlq_tracker_ = std::make_shared<kafka::delivery_tracker>();
      dlq_.publish(r, decoded.error(), dlq_tracker_);
      it->second.position = r.offset + 1;
      return;
    }
    const auto& batch = decoded.value();
    tracker_.processing(batch.symbol, r.partition);
    if (auto from = resync_.restarts(batch)) {
      // The re-planned task of a retention overrun: the symbol starts afresh (its earlier output
      // committed first), and its resync row goes once this batch is committed.
      if (!pending_.empty() || commits_.in_flight() > 0) {
        flush();
        await_all();
      }
      resync_.restart(proc_, batch.symbol);
      restarted_.emplace_back(batch.symbol, *from);
      log::info("processor", "resync_restart",
                {{"symbol", batch.symbol}, {"task_id", batch.task_id}});
    }
    if (proc_.needs_history(batch) && (!pending_.empty() || commits_.in_flight() > 0)) {
      flush();
      await_all();
    }
    // Dirty again after a flush above (which cleared it): otherwise this batch's output and
    // position would wait for the next record, which may never come.
    mark_dirty();
    proc_.process(batch, pending_);
    processor_metrics::get().bars_consumed(batch.bars.size());
    it->second.position = r.offset + 1;
  }

  /// Kafka-committed offsets only make the lag visible (KEDA scales on it). An asynchronous commit
  /// skipped by a rebalance (ILLEGAL_GENERATION) would leave the group's visible lag above the
  /// truth until new records arrive on that partition, and an autoscaler would keep replicas for
  /// a drained backlog. So while idle, the PostgreSQL positions of the owned partitions are
  /// committed again, at most every republish_every. Idempotent; never affects correctness.
  void republish_when_idle() {
    if (dirty_ || commits_.in_flight() > 0 || clock_type::now() - republished_ < republish_every)
      return;
    republished_ = clock_type::now();
    kafka::offset_map offsets;
    for (const auto& [tp, o] : owned_)
      if (o.stored >= 0) offsets[tp] = o.stored;
    if (!offsets.empty()) consumer_.commit_async(offsets);
  }

  /// The change of this session's cached states since the last report (gauge shared by every
  /// processor of the process; the session reports its own count and takes it back at its end).
  void report_cache() {
    const auto now = static_cast<double>(proc_.cached_symbols());
    processor_metrics::get().cached_symbols_changed(now - reported_cache_);
    reported_cache_ = now;
  }

  void mark_dirty() {
    if (!dirty_) {
      dirty_ = true;
      oldest_ = clock_type::now();
    }
  }

  void flush() {
    if (!dirty_) return;
    if (dlq_tracker_) {
      // A dead letter must be stored before the offset that skips its message is committed.
      if (!cfg_.producer->wait(*dlq_tracker_, std::chrono::seconds{60}))
        throw std::runtime_error("dead-letter publish failed: " + dlq_tracker_->first_error());
      dlq_tracker_.reset();
    }
    engine::commit_request req;
    req.group = cfg_.group;
    kafka::offset_map kafka_offsets;
    for (auto& [tp, o] : owned_) {
      const bool moved = o.position >= 0 && o.position != o.stored;
      // A fill moves no offset: the unchanged one fences it (see fill_when_idle).
      if (!moved && !(fence_ && o.stored >= 0)) continue;
      const auto next = moved ? o.position : o.stored;
      req.offsets.push_back({tp.topic, tp.partition, o.epoch, o.stored, next});
      kafka_offsets[tp] = next;
      o.stored = next; // optimistic: the next commit chains on this one
    }
    fence_ = false;
    req.output = std::move(pending_);
    pending_.clear();
    dirty_ = false;
    if (req.output.empty() && req.offsets.empty()) return;
    commits_.sent(req, {std::move(kafka_offsets), proc_.seal(), std::move(restarted_)});
    restarted_.clear();
    self_->send(cfg_.sink, std::move(req));
  }

  void await_all() {
    while (commits_.in_flight() > 0)
      await_one();
  }

  void await_one() {
    if (!await_one_for(reply_timeout))
      throw std::runtime_error("the sink did not answer within 120 s");
  }

  /// Waits up to `timeout` for one commit reply; false when none came.
  bool await_one_for(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() <= 0) return false;
      bool answered = false;
      self_->receive(
          [&](const engine::commit_reply& r) {
            on_reply(r);
            answered = true;
          },
          [&](stop_atom) { running_ = false; }, // honoured once this commit is in
          caf::after(left) >> [] {});
      rethrow();
      if (answered) return true;
    }
  }

  /// A reply while abandoning the session: this session's commit is no longer awaited.
  void drop_reply(const engine::commit_reply& r) {
    if (!commits_.replied(r)) stale_reply(r);
  }

  /// A reply to an earlier session's commit (it outlived that session's wait): nothing of this
  /// session's is answered by it.
  static void stale_reply(const engine::commit_reply& r) {
    processor_metrics::get().stale_reply();
    log::warn("processor", "stale_commit_reply",
              {{"session", r.session}, {"ok", r.ok}, {"fenced", r.fenced}});
  }

  static std::uint64_t next_session_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  void on_reply(const engine::commit_reply& r) {
    auto mine = commits_.replied(r);
    if (!mine) {
      stale_reply(r);
      return;
    }
    auto& offsets = mine->offsets;
    auto& restarts = mine->restarts;
    const auto generation = mine->generation;
    if (r.ok) {
      if (!offsets.empty()) consumer_.commit_async(offsets);
      // A row left behind by a crash here only restarts a later full re-fetch again: harmless.
      for (const auto& [symbol, from] : restarts) {
        try {
          pg::finish_resync(store_.connection(), symbol, from);
        } catch (const std::exception& e) { // not thrown through CAF's receive
          log::warn("processor", "resync_not_finished",
                    {{"symbol", symbol}, {"reason", e.what()}});
        }
      }
      // The states this commit settled may go, while later commits are in flight: the cache
      // stays within processor.max_cached_symbols during a backlog too.
      proc_.committed(generation);
      report_cache();
      return;
    }
    // Thrown after receive() returns: CAF's handlers should not unwind through the mailbox.
    failure_ = r.fenced ? "fenced: " + r.error : "commit failed: " + r.error;
  }

  void rethrow() {
    if (!failure_.empty()) {
      auto f = std::move(failure_);
      failure_.clear();
      broken_ = true;
      throw std::runtime_error(f);
    }
  }

  caf::blocking_actor* self_;
  kafka_processor_config& cfg_;
  pg_history_store& store_;
  bool& running_;
  engine::resync_tracker resync_; // before proc_: its history store
  engine::symbol_processor proc_;
  engine::pending_output pending_;
  kafka::dead_letter dlq_;
  std::shared_ptr<kafka::delivery_tracker> dlq_tracker_;
  std::map<kafka::topic_partition, owned> owned_;
  engine::partition_tracker tracker_; // after proc_: refers to it
  kafka::admin admin_;                // partition count of the data topic (metadata requests)
  int layout_ = 0;                    // partition count recorded in PostgreSQL (0: not read yet)
  clock_type::time_point next_layout_check_{};
  clock_type::time_point next_set_check_{};
  clock_type::time_point next_fill_scan_{};
  std::deque<std::string> fill_queue_; // symbols listed for a fill, not yet looked at
  bool fence_ = false;                // the next flush carries unchanged offsets too
  /// What a commit's reply needs: the offsets to publish to Kafka, its output's generation
  /// (symbol_processor::seal()), the resyncs it finishes.
  struct commit_payload {
    kafka::offset_map offsets;
    std::uint64_t generation = 0;
    std::vector<std::pair<std::string, day_t>> restarts;
  };
  engine::session_commits<commit_payload> commits_{next_session_id()};
  // Symbols restarted (resync) in the output not sent yet, and per commit in flight.
  std::vector<std::pair<std::string, day_t>> restarted_;
  clock_type::time_point republished_{};
  bool dirty_ = false;
  double reported_cache_ = 0; // cached states last added to the shared gauge

  bool broken_ = false;
  std::string failure_;
  clock_type::time_point oldest_{};
  kafka::consumer consumer_; // last: destroyed first, while the members it calls back still live
};

} // namespace

void kafka_processor(caf::blocking_actor* self, kafka_processor_config cfg) {
  bool running = true;
  while (running) {
    std::unique_ptr<pg_history_store> store;
    std::unique_ptr<session> s;
    try {
      store = std::make_unique<pg_history_store>(cfg.dsn);
      s = std::make_unique<session>(self, cfg, *store, running);
      s->run();
    } catch (const partition_layout_error& e) {
      log::error("processor", "partition_layout_changed", {{"reason", e.what()}});
      if (s) s->abandon();
      s.reset();
      if (cfg.on_fatal) cfg.on_fatal(e.what());
      running = false;
    } catch (const std::exception& e) {
      log::error("processor", "processor_session_failed", {{"reason", e.what()}});
      processor_metrics::get().session_failed();
      if (s) s->abandon();
      s.reset();
      if (running)
        self->receive([&](stop_atom) { running = false; },
                      caf::after(std::chrono::seconds{1}) >> [] {});
    }
  }
  log::info("processor", "stopped");
}

} // namespace finstream::actors
