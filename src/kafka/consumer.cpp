// librdkafka KafkaConsumer wrapper: rebalance listener, tracked pauses, explicit commits, lag.
#include "kafka/consumer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include <librdkafka/rdkafkacpp.h>

#include "core/log.hpp"
#include "kafka/detail.hpp"
#include "metrics/metrics.hpp"

namespace finstream::kafka {

namespace {

using clock = std::chrono::steady_clock;

/// Owns a list of RdKafka::TopicPartition (librdkafka's C++ API passes raw pointers).
struct tp_list {
  std::vector<RdKafka::TopicPartition*> v;
  tp_list() = default;
  tp_list(tp_list&& o) noexcept
      : v(std::move(o.v)) {
    o.v.clear();
  }
  tp_list(const tp_list&) = delete;
  tp_list& operator=(const tp_list&) = delete;
  tp_list& operator=(tp_list&&) = delete;
  ~tp_list() { RdKafka::TopicPartition::destroy(v); }

  void add(const topic_partition& tp, std::int64_t offset = offset_invalid) {
    v.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, offset));
  }
};

template <class Range>
tp_list make_list(const Range& tps) {
  tp_list l;
  for (const topic_partition& tp : tps)
    l.add(tp);
  return l;
}

tp_list make_list(const offset_map& offsets) {
  tp_list l;
  for (const auto& [tp, off] : offsets)
    l.add(tp, off);
  return l;
}

std::vector<topic_partition> convert(const std::vector<RdKafka::TopicPartition*>& ps) {
  std::vector<topic_partition> out;
  out.reserve(ps.size());
  for (const RdKafka::TopicPartition* p : ps)
    out.push_back({p->topic(), p->partition()});
  return out;
}

std::string join(const std::vector<topic_partition>& tps) {
  std::string s;
  for (const auto& tp : tps) {
    if (!s.empty()) s += ',';
    s += to_string(tp);
  }
  return s;
}

bool should_log(std::uint64_t nth) {
  return nth <= 10 || nth % 1000 == 0;
}

std::atomic<int> instance_counter{0};

} // namespace

struct consumer::impl : RdKafka::RebalanceCb, RdKafka::OffsetCommitCb {
  std::string client;
  std::string group;
  std::string instance; // process-unique, labels this consumer's gauge series
  rebalance_listener* listener;

  // Guards the fields below, and the librdkafka calls that change assignment or pause state, so
  // that pause()/resume() from another thread never interleave with a rebalance.
  mutable std::mutex mutex;
  std::set<topic_partition> assigned;
  std::set<topic_partition> paused_set;
  bool pause_everything = false;
  // Assigned partitions paused on librdkafka right now. librdkafka 2.0.2 quirks this works
  // around: (1) resuming a partition that is NOT paused restarts its fetch from the committed
  // offset (or auto.offset.reset), re-delivering what was already consumed, so only these are
  // ever resumed; (2) a pause survives unassignment on librdkafka's side, so a revoked partition
  // in this set is resumed right after it is unassigned, and every assignment starts unpaused.
  std::set<topic_partition> applied;
  // Assigned partitions whose start offsets the listener could not determine (it threw). They
  // are paused like any other, and poll() also drops any record of theirs that librdkafka had
  // already fetched when the pause took effect: their offsets are unknown, so nothing of them may
  // ever reach the owner. They stay so until revoked; resume() leaves them paused.
  std::set<topic_partition> unstartable;
  // Every pause, not only those: librdkafka can hand out records of a partition after the pause
  // (fetched between an assignment and its pause, or queued before a pause took effect, seen
  // under load). poll() never delivers a record of a partition paused in this wrapper's state: it
  // drops it and keeps its offset here (the lowest per partition), and resuming the partition
  // positions it there first, so nothing is skipped and per-partition order holds.
  std::map<topic_partition, std::int64_t> rewind;
  // pause_everything || !paused_set.empty(), readable without the mutex: poll() takes the lock
  // per record only then.
  std::atomic<bool> any_paused{false};
  // Tests only: a delay between an assignment and its pauses (the window above made wide).
  std::chrono::milliseconds pause_delay{0};
  bool closed = false;

  // Polling thread only.
  std::exception_ptr listener_error;

  detail::fatal_state fatal;
  std::atomic<std::uint64_t> consumed{0}, transient_errors{0}, assigned_events{0},
      revoked_events{0}, lost_events{0}, commits_ok{0}, commits_failed{0};

  metrics::registry& reg;
  metrics::counter& m_consumed;
  metrics::counter& m_transient;
  metrics::counter& m_assigned;
  metrics::counter& m_revoked;
  metrics::counter& m_lost;
  metrics::counter& m_commit_ok;
  metrics::counter& m_commit_failed;

  detail::event_router router;
  std::unique_ptr<RdKafka::KafkaConsumer> handle;
  // After handle: unregistered (and guaranteed not running) before the handle is destroyed.
  metrics::callback_handle lag_gauge;
  metrics::callback_handle paused_gauge;

  impl(const config& c, std::string group_id, rebalance_listener* l)
      : client(c.client_id)
      , group(std::move(group_id))
      , instance(c.client_id + "-" + std::to_string(instance_counter.fetch_add(1)))
      , listener(l)
      , reg(registry_of(c))
      , m_consumed(reg.counter("finstream_kafka_consumed_messages_total",
                               "Records returned by Kafka consumers", {{"group", group}}))
      , m_transient(reg.counter("finstream_kafka_consumer_errors_total",
                                "Errors reported to Kafka consumers (transient: recovered by "
                                "librdkafka)",
                                {{"group", group}, {"kind", "transient"}}))
      , m_assigned(reg.counter("finstream_kafka_rebalances_total", "Rebalance callbacks by event",
                               {{"group", group}, {"event", "assigned"}}))
      , m_revoked(reg.counter("finstream_kafka_rebalances_total", "Rebalance callbacks by event",
                              {{"group", group}, {"event", "revoked"}}))
      , m_lost(reg.counter("finstream_kafka_rebalances_total", "Rebalance callbacks by event",
                           {{"group", group}, {"event", "lost"}}))
      , m_commit_ok(reg.counter("finstream_kafka_offset_commits_total",
                                "Kafka offset commit results",
                                {{"group", group}, {"result", "ok"}}))
      , m_commit_failed(reg.counter("finstream_kafka_offset_commits_total",
                                    "Kafka offset commit results",
                                    {{"group", group}, {"result", "failed"}}))
      , router(c.client_id, [this](RdKafka::ErrorCode code, const std::string& text,
                                   bool is_fatal) { on_error(code, text, is_fatal); }) {
    if (group.empty()) throw config_error("kafka consumer: empty group id");
    auto conf = detail::make_conf(c, detail::role::consumer, &router);
    detail::set_property(*conf, "group.id", group);
    std::string errstr;
    if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), errstr) !=
            RdKafka::Conf::CONF_OK ||
        conf->set("offset_commit_cb", static_cast<RdKafka::OffsetCommitCb*>(this), errstr) !=
            RdKafka::Conf::CONF_OK)
      throw config_error("kafka consumer: cannot set callbacks: " + errstr);
    handle.reset(RdKafka::KafkaConsumer::create(conf.get(), errstr));
    if (!handle) throw error("kafka consumer: cannot create client: " + errstr);

    lag_gauge = reg.gauge_callback_family(
        "finstream_kafka_consumer_lag",
        "Kafka consumer lag per assigned partition (high watermark - position; cached watermarks)",
        [this] {
          std::vector<metrics::sample> out;
          for (const auto& l : lag(std::chrono::milliseconds{0}))
            if (l.lag >= 0)
              out.push_back(metrics::sample{{{"group", group},
                                             {"topic", l.tp.topic},
                                             {"partition", std::to_string(l.tp.partition)}},
                                            static_cast<double>(l.lag)});
          return out;
        });
    paused_gauge = reg.gauge_callback_family(
        "finstream_kafka_paused_partitions", "Assigned Kafka partitions currently paused", [this] {
          std::lock_guard<std::mutex> lock(mutex);
          double n = 0;
          for (const auto& tp : assigned)
            if (pause_everything || paused_set.count(tp)) n += 1;
          return std::vector<metrics::sample>{{{{"group", group}, {"consumer", instance}}, n}};
        });
  }

  ~impl() override {
    lag_gauge.reset();
    paused_gauge.reset();
  }

  void on_error(RdKafka::ErrorCode code, const std::string& text, bool is_fatal) {
    if (is_fatal) {
      std::string reason = text;
      if (handle) {
        std::string detail_text;
        RdKafka::ErrorCode orig = handle->fatal_error(detail_text);
        if (orig != RdKafka::ERR_NO_ERROR) reason = detail::describe(orig) + ": " + detail_text;
      }
      fatal.record(code, reason);
      log::error("kafka", "consumer_fatal", {{"group", group}, {"error", reason}});
      return;
    }
    count_transient(code, text, "");
  }

  void count_transient(RdKafka::ErrorCode code, const std::string& text, const std::string& where) {
    std::uint64_t n = transient_errors.fetch_add(1, std::memory_order_relaxed) + 1;
    m_transient.inc();
    if (should_log(n))
      log::warn("kafka", "consumer_error",
                {{"group", group},
                 {"error", detail::describe(code)},
                 {"detail", text},
                 {"partition", where},
                 {"count", n}});
  }

  /// After any change of the pause state or the assignment. Caller holds `mutex`.
  void refresh_locked() {
    for (auto it = rewind.begin(); it != rewind.end();)
      it = assigned.count(it->first) ? std::next(it) : rewind.erase(it);
    any_paused.store(pause_everything || !paused_set.empty(), std::memory_order_release);
  }

  /// Positions the partitions of `resumed` that poll() dropped records of at the first of them.
  /// Caller holds `mutex`; after apply_resumes_locked (a seek on an active partition purges what
  /// librdkafka fetched from the later position meanwhile).
  void rewind_locked(const std::set<topic_partition>& resumed) {
    for (const auto& tp : resumed) {
      auto it = rewind.find(tp);
      if (it == rewind.end() || applied.count(tp)) continue; // none dropped, or still paused
      std::unique_ptr<RdKafka::TopicPartition> p{
          RdKafka::TopicPartition::create(tp.topic, tp.partition, it->second)};
      RdKafka::ErrorCode err = handle->seek(*p, 10000);
      switch (err) {
      case RdKafka::ERR_NO_ERROR:
        log::debug("kafka", "rewound", {{"partition", to_string(tp)}, {"offset", it->second}});
        break;
      default:
        // The records would be skipped: not a state to go on from.
        throw error("kafka: repositioning " + to_string(tp) + " at " +
                        std::to_string(it->second) + " after a pause failed: " +
                        detail::describe(err),
                    err);
      }
      rewind.erase(it);
    }
  }

  /// True when `m` belongs to a partition paused in this wrapper's state (then it is dropped and
  /// its offset kept for the resume, unless the partition's start is unknown).
  bool drop_if_paused(const RdKafka::Message& m) {
    std::lock_guard<std::mutex> lock(mutex);
    const topic_partition tp{m.topic_name(), m.partition()};
    if (!assigned.count(tp) || !(pause_everything || paused_set.count(tp))) return false;
    if (!unstartable.count(tp)) {
      auto [it, fresh] = rewind.emplace(tp, m.offset());
      if (!fresh) it->second = std::min(it->second, m.offset());
    }
    return true;
  }

  /// Pauses, on librdkafka, those of `among` (assigned partitions) that should be paused and are
  /// not yet. Caller holds `mutex`.
  void apply_pauses_locked(const std::set<topic_partition>& among) {
    tp_list l;
    for (const auto& tp : among)
      if ((pause_everything || paused_set.count(tp)) && !applied.count(tp)) l.add(tp);
    if (l.v.empty()) return;
    RdKafka::ErrorCode err = handle->pause(l.v);
    if (err != RdKafka::ERR_NO_ERROR)
      log::warn("kafka", "pause_failed", {{"group", group}, {"error", detail::describe(err)}});
    for (const RdKafka::TopicPartition* p : l.v)
      if (p->err() == RdKafka::ERR_NO_ERROR) applied.insert({p->topic(), p->partition()});
  }

  /// Resumes, on librdkafka, those of `among` that are paused there and should no longer be.
  /// Caller holds `mutex`.
  void apply_resumes_locked(const std::set<topic_partition>& among) {
    tp_list l;
    for (const auto& tp : among)
      if (applied.count(tp) && !pause_everything && !paused_set.count(tp)) l.add(tp);
    if (l.v.empty()) return;
    RdKafka::ErrorCode err = handle->resume(l.v);
    if (err != RdKafka::ERR_NO_ERROR)
      log::warn("kafka", "resume_failed", {{"group", group}, {"error", detail::describe(err)}});
    for (const RdKafka::TopicPartition* p : l.v)
      if (p->err() == RdKafka::ERR_NO_ERROR) applied.erase({p->topic(), p->partition()});
  }

  /// Clears librdkafka's pause on partitions that were just unassigned (see `applied`).
  /// Caller holds `mutex`.
  void forget_pauses_locked(const std::vector<topic_partition>& unassigned) {
    tp_list l;
    for (const auto& tp : unassigned)
      if (applied.erase(tp)) l.add(tp);
    if (l.v.empty()) return;
    RdKafka::ErrorCode err = handle->resume(l.v);
    if (err != RdKafka::ERR_NO_ERROR)
      log::warn("kafka", "resume_failed", {{"group", group}, {"error", detail::describe(err)}});
  }

  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = c->rebalance_protocol() == "COOPERATIVE";
    std::vector<topic_partition> parts = convert(partitions);
    switch (err) {
    case RdKafka::ERR__ASSIGN_PARTITIONS: {
      assigned_events.fetch_add(1, std::memory_order_relaxed);
      m_assigned.inc();
      offset_map starts;
      bool listener_failed = false;
      if (listener && !parts.empty()) {
        try {
          starts = listener->on_assigned(parts);
        } catch (...) {
          listener_failed = true;
          if (!listener_error) listener_error = std::current_exception();
        }
      }
      for (RdKafka::TopicPartition* p : partitions) {
        auto it = starts.find({p->topic(), p->partition()});
        if (it != starts.end()) p->set_offset(it->second);
      }
      std::unique_lock<std::mutex> lock(mutex);
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e{c->incremental_assign(partitions)};
        if (e)
          log::error("kafka", "incremental_assign_failed",
                     {{"group", group}, {"error", e->str()}, {"partitions", join(parts)}});
      } else {
        RdKafka::ErrorCode e = c->assign(partitions);
        if (e != RdKafka::ERR_NO_ERROR)
          log::error("kafka", "assign_failed", {{"group", group}, {"error", detail::describe(e)}});
        assigned.clear();
      }
      std::set<topic_partition> added(parts.begin(), parts.end());
      assigned.insert(added.begin(), added.end());
      if (listener_failed) {
        // Never consume from offsets the owner could not determine: keep them paused until the
        // owner closes this consumer (poll() rethrows the listener's error).
        paused_set.insert(added.begin(), added.end());
        unstartable.insert(added.begin(), added.end());
      }
      for (const auto& tp : added)
        rewind.erase(tp); // a new assignment starts where the listener said
      refresh_locked();
      if (pause_delay.count() > 0) {
        lock.unlock();
        std::this_thread::sleep_for(pause_delay);
        lock.lock();
      }
      // Re-apply the tracked pause set (forget_pauses_locked cleared librdkafka's on revocation).
      apply_pauses_locked(cooperative ? added : assigned);
      log::info("kafka", "partitions_assigned",
                {{"group", group},
                 {"protocol", cooperative ? "cooperative" : "eager"},
                 {"partitions", join(parts)},
                 {"total", static_cast<std::uint64_t>(assigned.size())}});
      break;
    }
    case RdKafka::ERR__REVOKE_PARTITIONS: {
      const bool lost = c->assignment_lost();
      revoked_events.fetch_add(1, std::memory_order_relaxed);
      m_revoked.inc();
      if (lost) {
        lost_events.fetch_add(1, std::memory_order_relaxed);
        m_lost.inc();
      }
      if (listener && !parts.empty()) {
        try {
          listener->on_revoked(parts, lost);
        } catch (...) {
          if (!listener_error) listener_error = std::current_exception();
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e{c->incremental_unassign(partitions)};
        if (e)
          log::error("kafka", "incremental_unassign_failed",
                     {{"group", group}, {"error", e->str()}, {"partitions", join(parts)}});
        for (const auto& tp : parts) {
          assigned.erase(tp);
          unstartable.erase(tp);
        }
        forget_pauses_locked(parts);
        refresh_locked();
      } else {
        c->unassign();
        assigned.clear();
        unstartable.clear();
          forget_pauses_locked({applied.begin(), applied.end()});
      }
      log::info("kafka", lost ? "partitions_lost" : "partitions_revoked",
                {{"group", group},
                 {"partitions", join(parts)},
                 {"total", static_cast<std::uint64_t>(assigned.size())}});
      break;
    }
    default: {
      // A failed rebalance: librdkafka requires dropping the whole assignment. The owner gets
      // on_revoked(lost) first so it discards work on partitions it may no longer own.
      log::error("kafka", "rebalance_error", {{"group", group}, {"error", detail::describe(err)}});
      std::vector<topic_partition> all = assignment_copy();
      if (listener && !all.empty()) {
        try {
          listener->on_revoked(all, true);
        } catch (...) {
          if (!listener_error) listener_error = std::current_exception();
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      c->unassign();
      assigned.clear();
      unstartable.clear();
      forget_pauses_locked({applied.begin(), applied.end()});
      refresh_locked();
      break;
    }
    }
  }

  void offset_commit_cb(RdKafka::ErrorCode err,
                        std::vector<RdKafka::TopicPartition*>& offsets) override {
    switch (err) {
    case RdKafka::ERR_NO_ERROR: {
      std::uint64_t bad = 0;
      for (const RdKafka::TopicPartition* p : offsets)
        if (p->err() != RdKafka::ERR_NO_ERROR) {
          ++bad;
          log::warn("kafka", "commit_partition_failed",
                    {{"group", group},
                     {"partition", p->topic() + "[" + std::to_string(p->partition()) + "]"},
                     {"error", detail::describe(p->err())}});
        }
      if (bad) {
        commits_failed.fetch_add(1, std::memory_order_relaxed);
        m_commit_failed.inc();
      } else {
        commits_ok.fetch_add(1, std::memory_order_relaxed);
        m_commit_ok.inc();
      }
      break;
    }
    case RdKafka::ERR__NO_OFFSET:
      // Nothing to commit (empty offset list); not a failure.
      break;
    case RdKafka::ERR_REBALANCE_IN_PROGRESS:
    case RdKafka::ERR_ILLEGAL_GENERATION:
    case RdKafka::ERR_UNKNOWN_MEMBER_ID:
    case RdKafka::ERR__DESTROY:
      // The partitions moved (or we are closing); PostgreSQL keeps the authoritative offsets,
      // and the new owner commits its own.
      commits_failed.fetch_add(1, std::memory_order_relaxed);
      m_commit_failed.inc();
      log::info("kafka", "commit_skipped", {{"group", group}, {"reason", detail::describe(err)}});
      break;
    default:
      commits_failed.fetch_add(1, std::memory_order_relaxed);
      m_commit_failed.inc();
      log::warn("kafka", "commit_failed", {{"group", group}, {"error", detail::describe(err)}});
      break;
    }
  }

  std::vector<topic_partition> assignment_copy() const {
    std::lock_guard<std::mutex> lock(mutex);
    return {assigned.begin(), assigned.end()};
  }

  void rethrow_pending(const char* what) {
    fatal.check(what);
    if (listener_error) {
      std::exception_ptr e = listener_error;
      listener_error = nullptr;
      std::rethrow_exception(e);
    }
  }

  offset_map position() const {
    tp_list l = make_list(assignment_copy());
    offset_map out;
    if (l.v.empty()) return out;
    RdKafka::ErrorCode err = handle->position(l.v);
    if (err != RdKafka::ERR_NO_ERROR) throw error("kafka position: " + detail::describe(err), err);
    for (const RdKafka::TopicPartition* p : l.v)
      out[{p->topic(), p->partition()}] = p->offset();
    return out;
  }

  std::vector<partition_lag> lag(std::chrono::milliseconds query_timeout) const {
    const impl& d = *this;
    std::vector<partition_lag> out;
    {
      std::lock_guard<std::mutex> lock(d.mutex);
      if (d.closed) return out;
    }
    offset_map pos = position();
    for (const auto& [tp, p] : pos) {
      partition_lag l;
      l.tp = tp;
      l.position = p >= 0 ? p : -1;
      std::int64_t lo = -1, hi = -1;
      RdKafka::ErrorCode err =
          query_timeout.count() > 0
              ? d.handle->query_watermark_offsets(tp.topic, tp.partition, &lo, &hi,
                                                  static_cast<int>(query_timeout.count()))
              : d.handle->get_watermark_offsets(tp.topic, tp.partition, &lo, &hi);
      if (err == RdKafka::ERR_NO_ERROR && hi >= 0) l.high_watermark = hi;
      if (l.position >= 0 && l.high_watermark >= 0)
        l.lag = std::max<std::int64_t>(0, l.high_watermark - l.position);
      out.push_back(std::move(l));
    }
    return out;
  }

  record to_record(RdKafka::Message& m) {
    record r;
    r.topic = m.topic_name();
    r.partition = m.partition();
    r.offset = m.offset();
    if (m.key_pointer()) r.key.assign(static_cast<const char*>(m.key_pointer()), m.key_len());
    if (m.payload()) r.value.assign(static_cast<const char*>(m.payload()), m.len());
    RdKafka::MessageTimestamp ts = m.timestamp();
    r.timestamp_ms =
        ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
    if (RdKafka::Headers* hs = m.headers()) {
      for (const auto& h : hs->get_all())
        r.headers.emplace_back(
            h.key(), h.value() ? std::string(static_cast<const char*>(h.value()), h.value_size())
                               : std::string{});
    }
    return r;
  }
};

consumer::consumer(const config& c, std::string group_id, rebalance_listener* listener)
    : impl_(std::make_unique<impl>(c, std::move(group_id), listener)) {}

consumer::~consumer() {
  try {
    close();
  } catch (const std::exception& e) {
    log::error("kafka", "consumer_close", {{"group", impl_->group}, {"error", e.what()}});
  }
}

const std::string& consumer::group_id() const {
  return impl_->group;
}

std::string consumer::member_id() const {
  return impl_->handle->memberid();
}

void consumer::subscribe(const std::vector<std::string>& topics) {
  RdKafka::ErrorCode err = impl_->handle->subscribe(topics);
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    log::info("kafka", "subscribed", {{"group", impl_->group}, {"topics", topics.size()}});
    return;
  default:
    throw error("kafka subscribe (group " + impl_->group + ") failed: " + detail::describe(err),
                err);
  }
}

std::vector<record> consumer::poll(std::size_t max_records, std::chrono::milliseconds timeout) {
  impl& d = *impl_;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    if (d.closed) throw error("kafka poll (group " + d.group + "): consumer is closed");
  }
  d.rethrow_pending("kafka poll");
  std::vector<record> out;
  if (max_records == 0) return out;
  const auto deadline = clock::now() + timeout;
  auto finish = [&]() -> std::vector<record> {
    d.consumed.fetch_add(out.size(), std::memory_order_relaxed);
    d.m_consumed.inc(static_cast<double>(out.size()));
    return std::move(out);
  };
  while (out.size() < max_records) {
    int wait = 0;
    if (out.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      wait = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    std::unique_ptr<RdKafka::Message> msg{d.handle->consume(wait)};
    // Rebalance callbacks ran inside consume(): surface what the listener threw.
    d.rethrow_pending("kafka poll");
    const RdKafka::ErrorCode err = msg->err();
    switch (err) {
    case RdKafka::ERR_NO_ERROR:
      if (d.any_paused.load(std::memory_order_acquire) && d.drop_if_paused(*msg)) continue;
      out.push_back(d.to_record(*msg));
      continue;
    case RdKafka::ERR__TIMED_OUT:
      if (!out.empty() || clock::now() >= deadline) return finish();
      continue; // woke early (e.g. after serving a rebalance): keep waiting for the first record
    case RdKafka::ERR__PARTITION_EOF:
      continue;
    // Transient: librdkafka retries, reconnects or refreshes metadata by itself.
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__RESOLVE:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT_QUEUE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART: // subscribed topic not created yet
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_COORDINATOR:
    case RdKafka::ERR__MAX_POLL_EXCEEDED:  // left the group; rejoins on this poll
    case RdKafka::ERR_OFFSET_OUT_OF_RANGE: // reset per auto.offset.reset
    case RdKafka::ERR__AUTO_OFFSET_RESET:
      d.count_transient(err, msg->errstr(),
                        msg->topic_name().empty()
                            ? std::string{}
                            : msg->topic_name() + "[" + std::to_string(msg->partition()) + "]");
      continue;
    case RdKafka::ERR__FATAL: {
      std::string text;
      RdKafka::ErrorCode orig = d.handle->fatal_error(text);
      d.fatal.record(orig, detail::describe(orig) + ": " + text);
      d.fatal.check("kafka poll");
      throw error("kafka poll: fatal error", err, true);
    }
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR__INVALID_ARG:
      throw error("kafka poll (group " + d.group + "): " + detail::describe(err) + ": " +
                      msg->errstr(),
                  err);
    default:
      d.count_transient(err, msg->errstr(), msg->topic_name());
      continue;
    }
  }
  return finish();
}

void consumer::pause(const std::vector<topic_partition>& partitions) {
  impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  std::set<topic_partition> now;
  for (const auto& tp : partitions) {
    d.paused_set.insert(tp);
    if (d.assigned.count(tp)) now.insert(tp);
  }
  d.refresh_locked();
  d.apply_pauses_locked(now);
}

void consumer::resume(const std::vector<topic_partition>& partitions) {
  impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.pause_everything) {
    // Resuming some partitions while pause_all() is in effect ends pause_all(): the other
    // assigned partitions stay paused (as if paused one by one), later assignments are not.
    for (const auto& tp : d.assigned)
      d.paused_set.insert(tp);
    d.pause_everything = false;
  }
  for (const auto& tp : partitions)
    if (!d.unstartable.count(tp)) d.paused_set.erase(tp);
  d.refresh_locked();
  const std::set<topic_partition> resumed(partitions.begin(), partitions.end());
  d.apply_resumes_locked(resumed);
  d.rewind_locked(resumed);
}

void consumer::pause_all() {
  impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  d.pause_everything = true;
  d.refresh_locked();
  d.apply_pauses_locked(d.assigned);
}

void consumer::resume_all() {
  impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  d.pause_everything = false;
  d.paused_set = d.unstartable;
  d.refresh_locked();
  d.apply_resumes_locked(d.assigned);
  d.rewind_locked(d.assigned);
}

void consumer::delay_pauses_for_tests(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->pause_delay = delay;
}

std::set<topic_partition> consumer::paused() const {
  const impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mutex);
  std::set<topic_partition> out;
  for (const auto& tp : d.assigned)
    if (d.pause_everything || d.paused_set.count(tp)) out.insert(tp);
  return out;
}

void consumer::commit_async(const offset_map& offsets) {
  if (offsets.empty()) return;
  tp_list l = make_list(offsets);
  RdKafka::ErrorCode err = impl_->handle->commitAsync(l.v);
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    return;
  default:
    // Only local argument/state problems are reported here; count and log them like a failed
    // commit (the authoritative offsets are elsewhere; the next commit supersedes this one).
    impl_->commits_failed.fetch_add(1, std::memory_order_relaxed);
    impl_->m_commit_failed.inc();
    log::warn("kafka", "commit_failed",
              {{"group", impl_->group}, {"error", detail::describe(err)}});
    return;
  }
}

void consumer::commit_sync(const offset_map& offsets) {
  if (offsets.empty()) return;
  tp_list l = make_list(offsets);
  RdKafka::ErrorCode err = impl_->handle->commitSync(l.v);
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    for (const RdKafka::TopicPartition* p : l.v)
      if (p->err() != RdKafka::ERR_NO_ERROR)
        throw error("kafka commit of " + p->topic() + "[" + std::to_string(p->partition()) +
                        "] failed: " + detail::describe(p->err()),
                    p->err());
    return;
  default:
    throw error("kafka commit (group " + impl_->group + ") failed: " + detail::describe(err), err);
  }
}

offset_map consumer::committed(const std::vector<topic_partition>& partitions,
                               std::chrono::milliseconds timeout) {
  tp_list l = make_list(partitions);
  RdKafka::ErrorCode err = impl_->handle->committed(l.v, static_cast<int>(timeout.count()));
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    break;
  default:
    throw error("kafka committed offsets (group " + impl_->group + "): " + detail::describe(err),
                err);
  }
  offset_map out;
  for (const RdKafka::TopicPartition* p : l.v) {
    if (p->err() != RdKafka::ERR_NO_ERROR)
      throw error("kafka committed offset of " + p->topic() + "[" + std::to_string(p->partition()) +
                      "]: " + detail::describe(p->err()),
                  p->err());
    if (p->offset() >= 0) out[{p->topic(), p->partition()}] = p->offset();
  }
  return out;
}

void consumer::seek(const topic_partition& tp, std::int64_t offset,
                    std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::TopicPartition> p{
      RdKafka::TopicPartition::create(tp.topic, tp.partition, offset)};
  RdKafka::ErrorCode err = impl_->handle->seek(*p, static_cast<int>(timeout.count()));
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
    return;
  default:
    throw error("kafka seek " + to_string(tp) + " to " + std::to_string(offset) + ": " +
                    detail::describe(err),
                err);
  }
}

std::vector<topic_partition> consumer::assignment() const {
  return impl_->assignment_copy();
}

offset_map consumer::position() const {
  return impl_->position();
}

std::vector<partition_lag> consumer::lag(std::chrono::milliseconds query_timeout) const {
  return impl_->lag(query_timeout);
}

consumer_stats consumer::stats() const {
  const impl& d = *impl_;
  consumer_stats s;
  s.consumed = d.consumed.load(std::memory_order_relaxed);
  s.transient_errors = d.transient_errors.load(std::memory_order_relaxed);
  s.assigned_events = d.assigned_events.load(std::memory_order_relaxed);
  s.revoked_events = d.revoked_events.load(std::memory_order_relaxed);
  s.lost_events = d.lost_events.load(std::memory_order_relaxed);
  s.commits_ok = d.commits_ok.load(std::memory_order_relaxed);
  s.commits_failed = d.commits_failed.load(std::memory_order_relaxed);
  return s;
}

void consumer::close() {
  impl& d = *impl_;
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    if (d.closed) return;
  }
  if (d.assignment_copy().empty() && d.handle->rebalance_protocol() == "COOPERATIVE" &&
      !d.handle->memberid().empty()) {
    // librdkafka 2.0.2 bug: close() of a cooperative member holding no partitions sends no
    // LeaveGroup, so the group waits session.timeout.ms before the next rebalance completes
    // (fixed upstream later). unsubscribe() does leave; wait (≤ 1 s) until it has. Records that
    // arrive meanwhile (a late assignment) are dropped uncommitted: the next owner gets them.
    d.handle->unsubscribe();
    const auto deadline = clock::now() + std::chrono::seconds{1};
    while (!d.handle->memberid().empty() && clock::now() < deadline)
      std::unique_ptr<RdKafka::Message>{d.handle->consume(20)};
  }
  // Revokes the assignment through rebalance_cb (on this thread), commits nothing by itself
  // (auto commit is off), sends LeaveGroup so the group rebalances at once.
  RdKafka::ErrorCode err = d.handle->close();
  {
    std::lock_guard<std::mutex> lock(d.mutex);
    d.closed = true;
    d.assigned.clear();
  }
  log::info("kafka", "consumer_closed", {{"group", d.group}, {"result", detail::describe(err)}});
  if (d.listener_error) {
    std::exception_ptr e = d.listener_error;
    d.listener_error = nullptr;
    std::rethrow_exception(e);
  }
  switch (err) {
  case RdKafka::ERR_NO_ERROR:
  case RdKafka::ERR__DESTROY:
    return;
  default:
    throw error("kafka close (group " + d.group + "): " + detail::describe(err), err);
  }
}

} // namespace finstream::kafka
