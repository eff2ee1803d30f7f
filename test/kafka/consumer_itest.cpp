// Consumer groups on the real broker: cooperative rebalancing with offsets kept outside Kafka
// (as the processors keep them in PostgreSQL), pauses across rebalances, commits, leaving.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "kafka/kafka_fixture.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

/// Stands in for the processors' PostgreSQL offset table: the next offset to process per
/// partition, written after each record is processed, read on assignment.
struct offset_store {
  std::mutex m;
  offset_map next;

  offset_map get(const std::vector<topic_partition>& ps) {
    std::lock_guard<std::mutex> lock(m);
    offset_map out;
    for (const auto& tp : ps)
      if (auto it = next.find(tp); it != next.end()) out[tp] = it->second;
    return out;
  }
  void set(const topic_partition& tp, std::int64_t off) {
    std::lock_guard<std::mutex> lock(m);
    next[tp] = off;
  }
};

/// One group member polling on its own thread, as an actor's dedicated consume loop does.
class member : public rebalance_listener {
public:
  member(std::string name, const config& c, const std::string& group, offset_store* store)
      : name_(std::move(name))
      , store_(store)
      , consumer_(c, group, this) {}

  ~member() override { stop(); }

  void start(const std::vector<std::string>& topics) {
    consumer_.subscribe(topics);
    thread_ = std::thread([this] { run(); });
  }

  /// Stops polling and closes the consumer (on the polling thread).
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  kafka::consumer& consumer() { return consumer_; }

  std::set<topic_partition> assigned() {
    auto a = consumer_.assignment();
    return {a.begin(), a.end()};
  }

  std::vector<record> records() {
    std::lock_guard<std::mutex> lock(m_);
    return got_;
  }

  std::vector<topic_partition> revoked() {
    std::lock_guard<std::mutex> lock(m_);
    return revoked_;
  }

  offset_map first_offsets_after_assign() {
    std::lock_guard<std::mutex> lock(m_);
    return first_after_assign_;
  }

  /// Problems seen inside callbacks (checked by the test on its own thread).
  std::vector<std::string> problems() {
    std::lock_guard<std::mutex> lock(m_);
    return problems_;
  }

  std::string error() {
    std::lock_guard<std::mutex> lock(m_);
    return error_;
  }

  offset_map on_assigned(const std::vector<topic_partition>& ps) override {
    offset_map starts = store_ ? store_->get(ps) : offset_map{};
    std::lock_guard<std::mutex> lock(m_);
    for (const auto& tp : ps) {
      pending_first_.insert(tp);
      if (thread_.get_id() != std::this_thread::get_id())
        problems_.push_back(name_ + ": on_assigned off the polling thread");
    }
    expected_start_.insert(starts.begin(), starts.end());
    return starts;
  }

  void on_revoked(const std::vector<topic_partition>& ps, bool lost) override {
    // Called before the partitions go away: they must still be assigned here.
    auto now = assigned();
    std::lock_guard<std::mutex> lock(m_);
    for (const auto& tp : ps) {
      if (!now.count(tp))
        problems_.push_back(name_ + ": " + to_string(tp) + " already gone in on_revoked");
      revoked_.push_back(tp);
    }
    if (lost) problems_.push_back(name_ + ": partitions lost");
    if (thread_.get_id() != std::this_thread::get_id())
      problems_.push_back(name_ + ": on_revoked off the polling thread");
  }

private:
  void run() {
    try {
      while (!stop_) {
        for (auto& r : consumer_.poll(200, 100ms)) {
          if (store_) store_->set(r.where(), r.offset + 1); // "processed and committed"
          std::lock_guard<std::mutex> lock(m_);
          if (pending_first_.erase(r.where())) {
            first_after_assign_[r.where()] = r.offset;
            auto it = expected_start_.find(r.where());
            if (it != expected_start_.end() && it->second != r.offset)
              problems_.push_back(name_ + ": " + to_string(r.where()) + " started at " +
                                  std::to_string(r.offset) + ", not at " +
                                  std::to_string(it->second));
          }
          got_.push_back(std::move(r));
        }
      }
      consumer_.close();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(m_);
      error_ = e.what();
    }
  }

  std::string name_;
  offset_store* store_;
  kafka::consumer consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex m_;
  std::vector<record> got_;
  std::vector<topic_partition> revoked_;
  std::set<topic_partition> pending_first_;
  offset_map expected_start_;
  offset_map first_after_assign_;
  std::vector<std::string> problems_;
  std::string error_;
};

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

/// A key the murmur2 partitioner sends to `partition` of a topic with `partitions` partitions.
std::string key_for(int partition, int partitions) {
  for (int k = 0;; ++k) {
    std::string key = "K" + std::to_string(k);
    if (test::java_partition(key, partitions) == partition) return key;
  }
}

void produce_each(producer& p, const std::string& topic, int partitions, int per_partition) {
  for (int part = 0; part < partitions; ++part) {
    const std::string key = key_for(part, partitions);
    for (int i = 0; i < per_partition; ++i)
      p.produce(topic, key, "m");
  }
}

std::set<topic_partition> all_partitions(const std::string& topic, int n) {
  std::set<topic_partition> s;
  for (int i = 0; i < n; ++i)
    s.insert({topic, i});
  return s;
}

struct broker_setup {
  metrics::registry reg;
  config c;
  std::string topic = test::unique_name("bars");
  std::string group = test::unique_name("finstream-processors");
  explicit broker_setup(int partitions) {
    c = test::client_config(test::kafka_bootstrap(), &reg);
    admin{c}.ensure_topics({{topic, partitions, 1, {}}});
  }
};

} // namespace

TEST_CASE("two members share the partitions, revocation comes before the partitions leave and "
          "each partition continues exactly where the store says") {
  constexpr int partitions = 6;
  broker_setup s(partitions);
  producer p{s.c};
  produce_each(p, s.topic, partitions, 20);
  REQUIRE(p.flush(20s));

  offset_store store;
  for (int i = 0; i < partitions; ++i)
    store.set({s.topic, i}, 3); // the "database" says: 0..2 are done already

  member a("a", s.c, s.group, &store);
  a.start({s.topic});
  REQUIRE(eventually([&] { return a.records().size() == partitions * 17; }, 30s));
  CHECK(a.assigned() == all_partitions(s.topic, partitions));
  for (int i = 0; i < partitions; ++i)
    CHECK(a.first_offsets_after_assign()[{s.topic, i}] == 3);

  // Keep producing while the second member joins.
  std::atomic<bool> producing{true};
  std::thread writer([&] {
    while (producing) {
      produce_each(p, s.topic, partitions, 1);
      p.poll(20ms);
    }
  });
  member b("b", s.c, s.group, &store);
  b.start({s.topic});
  bool balanced = eventually(
      [&] {
        auto x = a.assigned(), y = b.assigned();
        return x.size() == partitions / 2 && y.size() == partitions / 2;
      },
      30s);
  // Both members keep receiving while the writer goes on (no stall after the rebalance).
  const auto na = a.records().size(), nb = b.records().size();
  bool both_flowing =
      eventually([&] { return a.records().size() > na && b.records().size() > nb; }, 30s);
  producing = false;
  writer.join();
  REQUIRE(p.flush(20s));
  REQUIRE(balanced);
  CHECK(both_flowing);

  auto x = a.assigned(), y = b.assigned();
  std::set<topic_partition> both;
  both.insert(x.begin(), x.end());
  both.insert(y.begin(), y.end());
  CHECK(both == all_partitions(s.topic, partitions)); // disjoint halves covering everything

  // Cooperative: only the partitions that moved were revoked from a, none from b.
  auto revoked = a.revoked();
  CHECK(std::set<topic_partition>(revoked.begin(), revoked.end()) == y);
  CHECK(revoked.size() == y.size());
  CHECK(b.revoked().empty());

  // Every record written ends up processed exactly once, across the hand-over.
  auto lag_done = [&] {
    for (auto* m : {&a, &b})
      for (auto& l : m->consumer().lag(5s))
        if (l.lag != 0) return false;
    return true;
  };
  REQUIRE(eventually(lag_done, 30s));
  a.stop();
  b.stop();
  CHECK(a.error().empty());
  CHECK(b.error().empty());
  for (const auto& pr : a.problems())
    UNSCOPED_INFO(pr);
  for (const auto& pr : b.problems())
    UNSCOPED_INFO(pr);
  CHECK(a.problems().empty());
  CHECK(b.problems().empty());

  std::map<topic_partition, std::vector<std::int64_t>> seen;
  for (auto* m : {&a, &b})
    for (const auto& r : m->records())
      seen[r.where()].push_back(r.offset);
  for (const auto& tp : y)
    CHECK(b.first_offsets_after_assign().count(tp) == 1);
  for (int i = 0; i < partitions; ++i) {
    topic_partition tp{s.topic, i};
    auto offs = seen[tp];
    std::sort(offs.begin(), offs.end());
    INFO(to_string(tp));
    REQUIRE_FALSE(offs.empty());
    CHECK(offs.front() == 3);
    CHECK(std::adjacent_find(offs.begin(), offs.end()) == offs.end()); // no duplicates
    CHECK(offs.back() - offs.front() + 1 == static_cast<std::int64_t>(offs.size())); // no gaps
    CHECK(store.get({tp})[tp] == offs.back() + 1);
  }
}

TEST_CASE("paused partitions stay paused when they come back after a rebalance") {
  constexpr int partitions = 4;
  broker_setup s(partitions);
  producer p{s.c};

  member a("a", s.c, s.group, nullptr);
  a.consumer().pause({{s.topic, 0}, {s.topic, 1}});
  a.start({s.topic});
  REQUIRE(eventually([&] { return a.assigned().size() == partitions; }, 30s));

  // b takes half of the partitions for a while, then leaves; a gets them all back.
  {
    member b("b", s.c, s.group, nullptr);
    b.start({s.topic});
    REQUIRE(eventually([&] { return a.assigned().size() == partitions / 2; }, 30s));
    b.stop();
  }
  REQUIRE(eventually([&] { return a.assigned().size() == partitions; }, 30s));
  CHECK(a.consumer().paused() == std::set<topic_partition>{{s.topic, 0}, {s.topic, 1}});

  const std::size_t before = a.records().size();
  produce_each(p, s.topic, partitions, 10);
  REQUIRE(p.flush(20s));
  REQUIRE(eventually([&] { return a.records().size() >= before + 20; }, 30s));
  // A marker produced after the paused partitions' records were acknowledged, on a running
  // partition: the fetch that brings it comes from the same (only) broker, after the paused
  // partitions' records were there to be fetched.
  p.produce(s.topic, key_for(2, partitions), "marker");
  REQUIRE(p.flush(20s));
  REQUIRE(eventually([&] { return a.records().size() >= before + 21; }, 30s));
  auto rs = a.records();
  for (std::size_t i = before; i < rs.size(); ++i)
    CHECK(rs[i].partition >= 2);
  CHECK(rs.size() == before + 21);

  a.consumer().resume_all();
  // Only the paused partitions' 20 records follow: resuming re-delivers nothing of 2 and 3. A
  // re-delivery would come before a new marker in each of those partitions, so once the markers
  // are in, the count is final.
  REQUIRE(eventually([&] { return a.records().size() >= before + 41; }, 30s));
  for (int part = 0; part < partitions; ++part)
    p.produce(s.topic, key_for(part, partitions), "marker");
  REQUIRE(p.flush(20s));
  REQUIRE(eventually([&] { return a.records().size() >= before + 45; }, 30s));
  CHECK(a.records().size() == before + 45);
  a.stop();
  CHECK(a.problems().empty());
  CHECK(a.error().empty());
}

TEST_CASE("a partition resumed while another member held it comes back running") {
  constexpr int partitions = 4;
  broker_setup s(partitions);
  // Both members polled alternately from this one thread (each consumer by one thread only).
  kafka::consumer a{s.c, s.group};
  a.subscribe({s.topic});
  for (int i = 0; i < 200 && a.assignment().size() < partitions; ++i)
    a.poll(10, 50ms);
  REQUIRE(a.assignment().size() == partitions);
  a.pause_all();
  {
    kafka::consumer b{s.c, s.group};
    b.subscribe({s.topic});
    for (int i = 0; i < 400 && (a.assignment().size() != 2 || b.assignment().size() != 2); ++i) {
      a.poll(10, 25ms);
      b.poll(10, 25ms);
    }
    REQUIRE(a.assignment().size() == 2);
    a.resume_all(); // also covers the two partitions b holds now
    CHECK(a.paused().empty());
    b.close();
  }
  for (int i = 0; i < 200 && a.assignment().size() < partitions; ++i)
    a.poll(10, 50ms);
  REQUIRE(a.assignment().size() == partitions);
  CHECK(a.paused().empty());
  producer p{s.c};
  produce_each(p, s.topic, partitions, 5);
  REQUIRE(p.flush(20s));
  auto rs = test::poll_n(a, 20, 30s);
  std::set<int> from;
  for (const auto& r : rs)
    from.insert(r.partition);
  CHECK(rs.size() == 20);
  CHECK(from.size() == partitions);
}

TEST_CASE("pause_all also pauses partitions assigned later") {
  constexpr int partitions = 4;
  broker_setup s(partitions);
  producer p{s.c};
  produce_each(p, s.topic, partitions, 5);
  REQUIRE(p.flush(20s));

  member b("b", s.c, s.group, nullptr);
  b.start({s.topic});
  REQUIRE(eventually([&] { return b.records().size() == partitions * 5; }, 30s));
  member a("a", s.c, s.group, nullptr);
  a.consumer().pause_all();
  a.start({s.topic});
  REQUIRE(eventually([&] { return a.assigned().size() == partitions / 2; }, 30s));
  b.stop(); // a receives b's partitions too: they must come paused
  REQUIRE(eventually([&] { return a.assigned().size() == partitions; }, 30s));
  produce_each(p, s.topic, partitions, 5);
  REQUIRE(p.flush(20s));
  // Every partition is paused, so no marker can reach a: a witness in another group (not paused)
  // shows when the records had been there to fetch, for as long as a fresh member needs.
  {
    member witness("witness", s.c, s.group + "_witness", nullptr);
    witness.start({s.topic});
    REQUIRE(eventually([&] { return witness.records().size() == partitions * 10; }, 30s));
  }
  CHECK(a.records().empty());
  CHECK(a.consumer().paused().size() == partitions);
  a.consumer().resume_all();
  // b committed nothing, so a starts each partition at the beginning (auto.offset.reset).
  REQUIRE(eventually([&] { return a.records().size() == partitions * 10; }, 30s));
  a.stop();
  CHECK(a.error().empty());
}

TEST_CASE("commit_async becomes the group's committed offsets") {
  broker_setup s(3);
  producer p{s.c};
  produce_each(p, s.topic, 3, 10);
  REQUIRE(p.flush(20s));
  {
    kafka::consumer k{s.c, s.group};
    k.subscribe({s.topic});
    auto rs = test::poll_n(k, 30, 30s);
    REQUIRE(rs.size() == 30);
    offset_map done;
    for (const auto& r : rs)
      if (r.offset < 7) done[r.where()] = std::max(done[r.where()], r.offset + 1);
    k.commit_async(done);
    for (int i = 0; i < 100 && k.stats().commits_ok == 0; ++i)
      k.poll(10, 50ms);
    CHECK(k.stats().commits_ok == 1);
    k.close();
  }
  // Seen from another client of the group, and honoured by the next member.
  kafka::consumer other{s.c, s.group};
  auto committed = other.committed({{s.topic, 0}, {s.topic, 1}, {s.topic, 2}});
  for (int i = 0; i < 3; ++i)
    CHECK(committed[{s.topic, i}] == 7);
  other.subscribe({s.topic});
  auto rs = test::poll_n(other, 9, 30s);
  REQUIRE(rs.size() == 9);
  for (const auto& r : rs)
    CHECK(r.offset >= 7);
}

TEST_CASE("close leaves the group: the remaining member gets the partitions at once") {
  constexpr int partitions = 6;
  broker_setup s(partitions);
  // A long session timeout: only an explicit LeaveGroup can hand the partitions over quickly.
  s.c.consumer_extra.push_back({"session.timeout.ms", "45000"});
  member a("a", s.c, s.group, nullptr);
  member b("b", s.c, s.group, nullptr);
  a.start({s.topic});
  REQUIRE(eventually([&] { return a.assigned().size() == partitions; }, 30s));
  b.start({s.topic});
  REQUIRE(eventually(
      [&] {
        return a.assigned().size() == partitions / 2 && b.assigned().size() == partitions / 2;
      },
      30s));
  auto b_parts = b.assigned();
  const auto t0 = clock_type::now();
  b.stop(); // close(): revokes through the listener, leaves the group
  auto b_revoked = b.revoked();
  CHECK(std::set<topic_partition>(b_revoked.begin(), b_revoked.end()) == b_parts);
  REQUIRE(eventually([&] { return a.assigned().size() == partitions; }, 30s));
  const auto took = clock_type::now() - t0;
  CHECK(took < 10s); // far below the 45 s session timeout
  a.stop();
  CHECK(a.problems().empty());
  CHECK(b.problems().empty());
}

TEST_CASE("a member closed while it holds no partitions leaves the group at once") {
  // librdkafka 2.0.2 sends no LeaveGroup in that case; consumer::close works around it.
  constexpr int partitions = 4;
  broker_setup s(partitions);
  s.c.consumer_extra.push_back({"session.timeout.ms", "45000"});
  kafka::consumer a{s.c, s.group};
  a.subscribe({s.topic});
  for (int i = 0; i < 200 && a.assignment().size() < partitions; ++i)
    a.poll(10, 50ms);
  REQUIRE(a.assignment().size() == partitions);
  {
    kafka::consumer b{s.c, s.group};
    b.subscribe({s.topic});
    // Stop in the middle of the cooperative rebalance: a has given up half, b got nothing yet.
    for (int i = 0; i < 400 && a.assignment().size() != partitions / 2; ++i) {
      a.poll(10, 25ms);
      b.poll(10, 25ms);
    }
    REQUIRE(a.assignment().size() == partitions / 2);
    REQUIRE(b.assignment().empty());
    b.close();
  }
  const auto t0 = clock_type::now();
  for (int i = 0; i < 300 && a.assignment().size() < partitions; ++i)
    a.poll(10, 50ms);
  CHECK(a.assignment().size() == partitions);
  CHECK(clock_type::now() - t0 < 10s); // not the 45 s session timeout
}
