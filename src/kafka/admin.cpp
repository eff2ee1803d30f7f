// Topic creation through librdkafka's C Admin API on a C++ handle (see admin.hpp).
#include "kafka/admin.hpp"

#include <map>
#include <thread>

#include <librdkafka/rdkafka.h>

#include "core/log.hpp"
#include "kafka/detail.hpp"

namespace finstream::kafka {

namespace {

using clock = std::chrono::steady_clock;

struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct options_deleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};

/// Owns the NewTopic objects handed to rd_kafka_CreateTopics.
struct new_topics {
  std::vector<rd_kafka_NewTopic_t*> items;
  ~new_topics() { rd_kafka_NewTopic_destroy_array(items.data(), items.size()); }
};

int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

/// What the metadata says about one topic.
struct topic_state {
  bool exists = false;
  bool ready = false; // every partition has a leader and no error
  int partitions = 0;
  std::string problem; // why not ready, for the timeout message
};

} // namespace

struct admin::impl {
  std::string client;
  detail::event_router router;
  std::unique_ptr<RdKafka::Producer> handle; // declared after router: destroyed before it

  explicit impl(const config& c)
      : client(c.client_id)
      , router(c.client_id, [this](RdKafka::ErrorCode code, const std::string& text, bool fatal) {
        // Connection problems surface again as request timeouts; log them once here.
        log::write(fatal ? log::level::err : log::level::warn, "kafka", "admin_client_error",
                   {{"client", client}, {"error", detail::describe(code)}, {"detail", text}});
      }) {
    auto conf = detail::make_conf(c, detail::role::admin, &router);
    std::string errstr;
    handle.reset(RdKafka::Producer::create(conf.get(), errstr));
    if (!handle) throw error("kafka admin: cannot create client: " + errstr);
  }

  /// "; last client error: ..." when the client reported one (it says why a request failed:
  /// connection refused, TLS, authentication), else "".
  std::string last_error_note() const {
    const auto text = router.last_failure();
    return text.empty() ? std::string{} : "; last client error: " + text;
  }

  /// One metadata request for `name`. Throws on transport failure (after `timeout_ms`).
  topic_state describe_topic(const std::string& name, int timeout_ms) {
    std::string errstr;
    std::unique_ptr<RdKafka::Topic> topic{
        RdKafka::Topic::create(handle.get(), name, nullptr, errstr)};
    if (!topic) throw error("kafka admin: invalid topic '" + name + "': " + errstr);
    RdKafka::Metadata* raw = nullptr;
    RdKafka::ErrorCode err = handle->metadata(false, topic.get(), &raw, std::max(timeout_ms, 1));
    std::unique_ptr<RdKafka::Metadata> md{raw};
    switch (err) {
    case RdKafka::ERR_NO_ERROR:
      break;
    default:
      throw error("kafka admin: metadata request for '" + name +
                      "' failed: " + detail::describe(err) + last_error_note(),
                  err);
    }
    topic_state st;
    for (const RdKafka::TopicMetadata* t : *md->topics()) {
      if (t->topic() != name) continue;
      switch (t->err()) {
      case RdKafka::ERR_NO_ERROR:
        st.exists = true;
        break;
      case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
        st.problem = "topic not in metadata yet";
        return st;
      case RdKafka::ERR_LEADER_NOT_AVAILABLE:
        st.exists = true;
        st.problem = "leader not available";
        return st;
      case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
        throw error("kafka admin: not authorized to describe topic '" + name + "'", t->err());
      default:
        st.problem = detail::describe(t->err());
        return st;
      }
      st.partitions = static_cast<int>(t->partitions()->size());
      st.ready = st.partitions > 0;
      for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
        if (p->err() != RdKafka::ERR_NO_ERROR || p->leader() < 0) {
          st.ready = false;
          st.problem = "partition " + std::to_string(p->id()) + " has no leader yet";
          break;
        }
      }
      if (st.partitions == 0) st.problem = "no partitions in metadata yet";
      return st;
    }
    st.problem = "topic not in metadata yet";
    return st;
  }

  /// Sends one CreateTopics request for `specs`; returns the names this call created. A topic
  /// that already exists is not an error.
  std::vector<std::string> create(const std::vector<const topic_spec*>& specs,
                                  clock::time_point deadline) {
    char errstr[512];
    new_topics topics;
    for (const topic_spec* s : specs) {
      rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(s->name.c_str(), s->partitions,
                                                      s->replication_factor, errstr, sizeof errstr);
      if (!nt) throw error("kafka admin: invalid topic spec '" + s->name + "': " + errstr);
      topics.items.push_back(nt);
      for (const auto& [k, v] : s->configs) {
        rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
          throw error("kafka admin: topic config '" + k + "' for '" + s->name +
                          "': " + rd_kafka_err2str(e),
                      e);
      }
    }
    rd_kafka_t* rk = handle->c_ptr();
    std::unique_ptr<rd_kafka_AdminOptions_t, options_deleter> opts{
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)};
    int budget = std::max(remaining_ms(deadline), 1000);
    // operation_timeout: the controller waits (up to it) until the topics are created everywhere.
    if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), budget, errstr, sizeof errstr) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_AdminOptions_set_request_timeout(opts.get(), budget, errstr, sizeof errstr) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
      throw error(std::string{"kafka admin: bad timeout: "} + errstr);

    std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue{rd_kafka_queue_new(rk)};
    rd_kafka_CreateTopics(rk, topics.items.data(), topics.items.size(), opts.get(), queue.get());
    // The result event always arrives (at worst with a timeout error) after request_timeout.
    std::unique_ptr<rd_kafka_event_t, event_deleter> ev{
        rd_kafka_queue_poll(queue.get(), budget + 5000)};
    if (!ev)
      throw error("kafka admin: no CreateTopics result within " + std::to_string(budget + 5000) +
                      " ms" + last_error_note(),
                  RdKafka::ERR__TIMED_OUT);
    rd_kafka_resp_err_t req_err = rd_kafka_event_error(ev.get());
    if (req_err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw error(std::string{"kafka admin: CreateTopics failed: "} +
                      detail::describe(static_cast<RdKafka::ErrorCode>(req_err)) + ": " +
                      rd_kafka_event_error_string(ev.get()) + last_error_note(),
                  req_err);
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
    if (!res) throw error("kafka admin: unexpected event type for CreateTopics");
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    std::vector<std::string> created;
    for (size_t i = 0; i < n; ++i) {
      std::string name = rd_kafka_topic_result_name(results[i]);
      auto code = static_cast<RdKafka::ErrorCode>(rd_kafka_topic_result_error(results[i]));
      switch (code) {
      case RdKafka::ERR_NO_ERROR:
        created.push_back(name);
        break;
      case RdKafka::ERR_TOPIC_ALREADY_EXISTS:
        // Existed, or another replica created it between our metadata check and this request.
        break;
      default: {
        const char* text = rd_kafka_topic_result_error_string(results[i]);
        throw error("kafka admin: cannot create topic '" + name + "': " + detail::describe(code) +
                        (text ? std::string{": "} + text : std::string{}),
                    code);
      }
      }
    }
    return created;
  }
};

admin::admin(const config& c)
    : impl_(std::make_unique<impl>(c)) {}

admin::~admin() = default;

std::optional<int> admin::partition_count(const std::string& topic,
                                          std::chrono::milliseconds timeout) {
  topic_state st = impl_->describe_topic(topic, static_cast<int>(timeout.count()));
  if (!st.exists) return std::nullopt;
  return st.partitions;
}

namespace {

using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

/// Runs one admin request: `submit(rk, options, queue)` calls rd_kafka_<Op>; returns the result
/// event after checking its request-level error. `what` names the operation in errors.
template <class Submit>
event_ptr admin_request(rd_kafka_t* rk, rd_kafka_admin_op_t op, const char* what,
                        std::chrono::milliseconds timeout, Submit submit) {
  char errstr[512];
  std::unique_ptr<rd_kafka_AdminOptions_t, options_deleter> opts{rd_kafka_AdminOptions_new(rk, op)};
  const int budget = static_cast<int>(timeout.count());
  if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), budget, errstr, sizeof errstr) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_request_timeout(opts.get(), budget, errstr, sizeof errstr) !=
          RD_KAFKA_RESP_ERR_NO_ERROR)
    throw error(std::string{"kafka admin: bad timeout: "} + errstr);
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue{rd_kafka_queue_new(rk)};
  submit(rk, opts.get(), queue.get());
  event_ptr ev{rd_kafka_queue_poll(queue.get(), budget + 5000)};
  if (!ev)
    throw error(std::string{"kafka admin: no "} + what + " result", RdKafka::ERR__TIMED_OUT);
  if (rd_kafka_resp_err_t e = rd_kafka_event_error(ev.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw error(std::string{"kafka admin: "} + what + " failed: " +
                    rd_kafka_event_error_string(ev.get()),
                e);
  return ev;
}

} // namespace

void admin::delete_topics(const std::vector<std::string>& topics,
                          std::chrono::milliseconds timeout) {
  if (topics.empty()) return;
  std::vector<rd_kafka_DeleteTopic_t*> items;
  for (const auto& t : topics)
    items.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  struct owner {
    std::vector<rd_kafka_DeleteTopic_t*>& v;
    ~owner() { rd_kafka_DeleteTopic_destroy_array(v.data(), v.size()); }
  } own{items};
  auto ev = admin_request(impl_->handle->c_ptr(), RD_KAFKA_ADMIN_OP_DELETETOPICS, "DeleteTopics",
                          timeout, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o,
                                       rd_kafka_queue_t* q) {
                            rd_kafka_DeleteTopics(rk, items.data(), items.size(), o, q);
                          });
  const rd_kafka_DeleteTopics_result_t* res = rd_kafka_event_DeleteTopics_result(ev.get());
  if (!res) throw error("kafka admin: unexpected event type for DeleteTopics");
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    auto code = static_cast<RdKafka::ErrorCode>(rd_kafka_topic_result_error(results[i]));
    switch (code) {
    case RdKafka::ERR_NO_ERROR:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
      break;
    default:
      throw error(std::string{"kafka admin: cannot delete topic '"} +
                      rd_kafka_topic_result_name(results[i]) + "': " + detail::describe(code),
                  code);
    }
  }
}

void admin::create_partitions(const std::string& topic, int total,
                              std::chrono::milliseconds timeout) {
  char errstr[512];
  rd_kafka_NewPartitions_t* parts =
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), errstr, sizeof errstr);
  if (!parts) throw error("kafka admin: invalid partition count for '" + topic + "': " + errstr);
  struct owner {
    rd_kafka_NewPartitions_t* p;
    ~owner() { rd_kafka_NewPartitions_destroy(p); }
  } own{parts};
  auto ev = admin_request(impl_->handle->c_ptr(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
                          "CreatePartitions", timeout,
                          [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                            rd_kafka_CreatePartitions(rk, &parts, 1, o, q);
                          });
  const rd_kafka_CreatePartitions_result_t* res = rd_kafka_event_CreatePartitions_result(ev.get());
  if (!res) throw error("kafka admin: unexpected event type for CreatePartitions");
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreatePartitions_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    auto code = static_cast<RdKafka::ErrorCode>(rd_kafka_topic_result_error(results[i]));
    if (code != RdKafka::ERR_NO_ERROR) {
      const char* text = rd_kafka_topic_result_error_string(results[i]);
      throw error("kafka admin: cannot add partitions to '" + topic + "': " +
                      detail::describe(code) + (text ? std::string{": "} + text : std::string{}),
                  code);
    }
  }
  log::info("kafka", "partitions_created", {{"topic", topic}, {"partitions", total}});
}

std::vector<topic_info> admin::ensure_topics(const std::vector<topic_spec>& specs,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  std::vector<topic_info> out;
  std::vector<const topic_spec*> missing;
  for (const auto& s : specs) {
    if (s.name.empty()) throw error("kafka admin: empty topic name");
    if (s.partitions < 1 && s.partitions != -1)
      throw error("kafka admin: topic '" + s.name + "' needs at least one partition");
    out.push_back({s.name, 0, false});
    topic_state st = impl_->describe_topic(s.name, std::max(remaining_ms(deadline), 1));
    if (!st.exists) missing.push_back(&s);
  }
  if (!missing.empty()) {
    for (const std::string& name : impl_->create(missing, deadline)) {
      for (auto& info : out)
        if (info.name == name) info.created = true;
    }
  }
  // Wait until the metadata (served by any broker) shows every topic with all partitions led.
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const topic_spec& s = specs[i];
    for (;;) {
      topic_state st = impl_->describe_topic(s.name, std::max(remaining_ms(deadline), 1));
      if (st.ready) {
        out[i].partitions = st.partitions;
        break;
      }
      if (remaining_ms(deadline) == 0)
        throw error("kafka admin: topic '" + s.name + "' not ready within " +
                        std::to_string(timeout.count()) + " ms: " + st.problem,
                    RdKafka::ERR__TIMED_OUT);
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    if (s.partitions > 0 && out[i].partitions != s.partitions)
      log::warn("kafka", "topic_partition_mismatch",
                {{"topic", s.name}, {"wanted", s.partitions}, {"actual", out[i].partitions}});
    if (out[i].created)
      log::info("kafka", "topic_created", {{"topic", s.name}, {"partitions", out[i].partitions}});
  }
  return out;
}

std::map<std::int32_t, std::int64_t>
admin::log_start_offsets(const std::string& topic, const std::vector<std::int32_t>& partitions,
                         std::chrono::milliseconds timeout) {
  std::map<std::int32_t, std::int64_t> out;
  for (auto p : partitions) {
    const auto deadline = clock::now() + timeout;
    for (;;) {
      std::int64_t low = -1, high = -1;
      auto err = impl_->handle->query_watermark_offsets(topic, p, &low, &high,
                                                        std::max(remaining_ms(deadline), 1));
      if (err == RdKafka::ERR_NO_ERROR) {
        out[p] = low;
        break;
      }
      // Leadership still settling (a topic just created, a broker restarting): asked again.
      const bool settling = err == RdKafka::ERR_NOT_LEADER_FOR_PARTITION ||
                            err == RdKafka::ERR_LEADER_NOT_AVAILABLE ||
                            err == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART;
      if (!settling || remaining_ms(deadline) == 0)
        throw error("kafka admin: watermarks of " + topic + "[" + std::to_string(p) +
                        "] unknown: " + detail::describe(err) + impl_->last_error_note(),
                    err);
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  }
  return out;
}

void admin::delete_records(const offset_map& before, std::chrono::milliseconds timeout) {
  if (before.empty()) return;
  std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>
      list{rd_kafka_topic_partition_list_new(static_cast<int>(before.size())),
           rd_kafka_topic_partition_list_destroy};
  for (const auto& [tp, offset] : before)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  std::unique_ptr<rd_kafka_DeleteRecords_t, void (*)(rd_kafka_DeleteRecords_t*)> req{
      rd_kafka_DeleteRecords_new(list.get()), rd_kafka_DeleteRecords_destroy};
  auto* raw = req.get();
  auto ev = admin_request(impl_->handle->c_ptr(), RD_KAFKA_ADMIN_OP_DELETERECORDS, "DeleteRecords",
                          timeout,
                          [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                            rd_kafka_DeleteRecords(rk, &raw, 1, o, q);
                          });
  const rd_kafka_DeleteRecords_result_t* res = rd_kafka_event_DeleteRecords_result(ev.get());
  if (!res) throw error("kafka admin: unexpected event type for DeleteRecords");
  const rd_kafka_topic_partition_list_t* done = rd_kafka_DeleteRecords_result_offsets(res);
  for (int i = 0; done && i < done->cnt; ++i) {
    const auto& e = done->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw error(std::string{"kafka admin: cannot delete records of "} + e.topic + "[" +
                      std::to_string(e.partition) +
                      "]: " + detail::describe(static_cast<RdKafka::ErrorCode>(e.err)),
                  static_cast<RdKafka::ErrorCode>(e.err));
  }
}

} // namespace finstream::kafka
