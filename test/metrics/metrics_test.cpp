// Tests of the Prometheus registry: exact text exposition, identity of series, escaping, type
// checks, callback gauges and concurrent updates.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "metrics/metrics.hpp"

using namespace finstream::metrics;

TEST_CASE("counters and gauges render in the text exposition format") {
  registry r;
  r.counter("finstream_rows_written_total", "Rows written.", {{"table", "ti"}}).inc(5);
  r.counter("finstream_rows_written_total", "ignored: first help wins", {{"table", "bars"}}).inc();
  r.gauge("finstream_leader", "1 while this process leads.").set(1);
  r.gauge("finstream_paused_partitions", "Paused partitions.").set(-2.5);
  CHECK(r.render() == "# HELP finstream_leader 1 while this process leads.\n"
                      "# TYPE finstream_leader gauge\n"
                      "finstream_leader 1\n"
                      "# HELP finstream_paused_partitions Paused partitions.\n"
                      "# TYPE finstream_paused_partitions gauge\n"
                      "finstream_paused_partitions -2.5\n"
                      "# HELP finstream_rows_written_total Rows written.\n"
                      "# TYPE finstream_rows_written_total counter\n"
                      "finstream_rows_written_total{table=\"bars\"} 1\n"
                      "finstream_rows_written_total{table=\"ti\"} 5\n");
}

TEST_CASE("histograms render cumulative buckets, +Inf, _sum and _count") {
  registry r;
  auto& h = r.histogram("finstream_commit_seconds", "Commit latency.", {0.1, 1, 10},
                        {{"role", "processor"}});
  for (double v : {0.05, 0.1, 0.5, 3.0, 20.0})
    h.observe(v);
  CHECK(h.count() == 5);
  CHECK(h.bucket_counts() == std::vector<std::uint64_t>{2, 1, 1, 1});
  CHECK(r.render() == "# HELP finstream_commit_seconds Commit latency.\n"
                      "# TYPE finstream_commit_seconds histogram\n"
                      "finstream_commit_seconds_bucket{role=\"processor\",le=\"0.1\"} 2\n"
                      "finstream_commit_seconds_bucket{role=\"processor\",le=\"1\"} 3\n"
                      "finstream_commit_seconds_bucket{role=\"processor\",le=\"10\"} 4\n"
                      "finstream_commit_seconds_bucket{role=\"processor\",le=\"+Inf\"} 5\n"
                      "finstream_commit_seconds_sum{role=\"processor\"} 23.65\n"
                      "finstream_commit_seconds_count{role=\"processor\"} 5\n");
}

TEST_CASE("a histogram without labels renders only le") {
  registry r;
  r.histogram("finstream_batch_rows", "Rows per batch.", exponential_buckets(1, 10, 2)).observe(7);
  CHECK(r.render() == "# HELP finstream_batch_rows Rows per batch.\n"
                      "# TYPE finstream_batch_rows histogram\n"
                      "finstream_batch_rows_bucket{le=\"1\"} 0\n"
                      "finstream_batch_rows_bucket{le=\"10\"} 1\n"
                      "finstream_batch_rows_bucket{le=\"+Inf\"} 1\n"
                      "finstream_batch_rows_sum 7\n"
                      "finstream_batch_rows_count 1\n");
}

TEST_CASE("same name and labels, in any order, give the same object") {
  registry r;
  auto& a = r.counter("finstream_x_total", "x", {{"a", "1"}, {"b", "2"}});
  auto& b = r.counter("finstream_x_total", "x", {{"b", "2"}, {"a", "1"}});
  auto& c = r.counter("finstream_x_total", "x", {{"a", "1"}, {"b", "3"}});
  CHECK(&a == &b);
  CHECK(&a != &c);
  auto& h1 = r.histogram("finstream_h", "h", {1, 2});
  auto& h2 = r.histogram("finstream_h", "h", {1, 2});
  CHECK(&h1 == &h2);
}

TEST_CASE("invalid names, labels, type mismatches and other bucket bounds throw") {
  registry r;
  r.counter("finstream_a_total", "a");
  CHECK_THROWS_AS(r.gauge("finstream_a_total", "a"), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("finstream_a_total", "a", {1}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("rows_total", "no prefix"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("finstream_bad-name", "dash"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("finstream_b_total", "b", {{"bad-label", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("finstream_b_total", "b", {{"__x", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("finstream_b_total", "b", {{"a", "1"}, {"a", "2"}}),
                  std::invalid_argument);
  r.histogram("finstream_h", "h", {1, 2});
  CHECK_THROWS_AS(r.histogram("finstream_h", "h", {1, 3}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("finstream_h2", "h", {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("finstream_h3", "h", {1}, {{"le", "1"}}), std::invalid_argument);
  // Nothing half-registered by the failures.
  CHECK(r.render().find("finstream_b_total") == std::string::npos);
}

TEST_CASE("label values and help texts are escaped") {
  registry r;
  r.gauge("finstream_e", "help with \\ and\nnewline \"quoted\"", {{"v", "a\"b\\c\nd"}}).set(1);
  CHECK(r.render() == "# HELP finstream_e help with \\\\ and\\nnewline \"quoted\"\n"
                      "# TYPE finstream_e gauge\n"
                      "finstream_e{v=\"a\\\"b\\\\c\\nd\"} 1\n");
  CHECK(escape_label_value("plain") == "plain");
}

TEST_CASE("values format as shortest decimals and special values") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::nan("")) == "NaN");
}

TEST_CASE("counters never go down") {
  registry r;
  auto& c = r.counter("finstream_c_total", "c");
  c.inc(2);
  c.inc(-1);
  c.inc(std::nan(""));
  CHECK(c.value() == 2);
  auto& g = r.gauge("finstream_g", "g");
  g.inc(3);
  g.dec(5);
  CHECK(g.value() == -2);
}

TEST_CASE("callback gauges are evaluated at render time and unregister with their handle") {
  registry r;
  double lag = 7;
  auto h =
      r.gauge_callback("finstream_consumer_lag", "Lag.", {{"partition", "3"}}, [&] { return lag; });
  CHECK(r.render().find("finstream_consumer_lag{partition=\"3\"} 7\n") != std::string::npos);
  lag = 9;
  CHECK(r.render().find("finstream_consumer_lag{partition=\"3\"} 9\n") != std::string::npos);
  // The same labels cannot be both a callback and an ordinary gauge.
  CHECK_THROWS_AS(r.gauge("finstream_consumer_lag", "Lag.", {{"partition", "3"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(
      r.gauge_callback("finstream_consumer_lag", "Lag.", {{"partition", "3"}}, [] { return 0.0; }),
      std::invalid_argument);
  callback_handle moved = std::move(h);
  CHECK_FALSE(h);
  CHECK(moved);
  moved.reset();
  CHECK(r.render().empty()); // the family has no series left: omitted entirely
}

TEST_CASE("multi-series callbacks merge with ordinary series, sorted, bad samples dropped") {
  registry r;
  r.gauge("finstream_lag", "Lag.", {{"partition", "0"}}).set(1);
  auto h = r.gauge_callback_family("finstream_lag", "Lag.", [] {
    return std::vector<sample>{{{{"partition", "2"}}, 5},
                               {{{"partition", "1"}}, 4},
                               {{{"partition", "0"}}, 99}, // duplicate of the ordinary series
                               {{{"bad-name", "x"}}, 3}};
  });
  auto failing = r.gauge_callback("finstream_lag", "Lag.", {{"partition", "9"}},
                                  []() -> double { throw std::runtime_error("boom"); });
  CHECK(r.render() == "# HELP finstream_lag Lag.\n"
                      "# TYPE finstream_lag gauge\n"
                      "finstream_lag{partition=\"0\"} 1\n"
                      "finstream_lag{partition=\"1\"} 4\n"
                      "finstream_lag{partition=\"2\"} 5\n");
}

TEST_CASE("concurrent increments, observations and registrations lose nothing") {
  registry r;
  constexpr int threads = 8;
  constexpr int per_thread = 100000;
  auto& c = r.counter("finstream_n_total", "n");
  auto& h = r.histogram("finstream_v", "v", {0.5, 1.5});
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto& mine = r.counter("finstream_per_thread_total", "p", {{"t", std::to_string(t % 2)}});
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        mine.inc();
        h.observe(i % 2);                     // 0 or 1
        if (i % 10000 == 0) (void)r.render(); // rendering concurrently with updates is allowed
      }
    });
  for (auto& th : pool)
    th.join();
  CHECK(c.value() == double(threads) * per_thread);
  CHECK(h.count() == std::uint64_t(threads) * per_thread);
  CHECK(h.sum() == double(threads) * per_thread / 2);
  CHECK(r.counter("finstream_per_thread_total", "p", {{"t", "0"}}).value() ==
        double(threads / 2) * per_thread);
  CHECK(h.bucket_counts() == std::vector<std::uint64_t>{std::uint64_t(threads) * per_thread / 2,
                                                        std::uint64_t(threads) * per_thread / 2,
                                                        0});
}

TEST_CASE("the global registry is one object") {
  CHECK(&registry::global() == &registry::global());
}

TEST_CASE("bucket helpers") {
  CHECK(exponential_buckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
  CHECK(linear_buckets(0, 5, 3) == std::vector<double>{0, 5, 10});
  CHECK(default_latency_buckets().front() == 0.005);
  CHECK_THROWS_AS(exponential_buckets(0, 2, 3), std::invalid_argument);
}
