// Dead-letter tests on librdkafka's mock cluster: the original bytes, key and headers arrive on
// the dead-letter topic with the reason and origin.
#include <catch2/catch.hpp>

#include "kafka/consumer.hpp"
#include "kafka/dead_letter.hpp"
#include "kafka/kafka_fixture.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

TEST_CASE("one_line flattens and bounds the reason") {
  CHECK(one_line("a\nb\tc\x01") == "a b c ");
  CHECK(one_line(std::string(5000, 'x')).size() == 1000);
}

TEST_CASE("a dead letter carries the original message, its origin and the reason") {
  metrics::registry reg;
  test::mock_cluster cluster;
  const std::string origin = test::unique_name("bars");
  cluster.create_topic(origin, 3);
  cluster.create_topic(origin + ".dlq", 3);
  config c = test::client_config(cluster.bootstrap_servers(), &reg);
  producer p{c};
  dead_letter dlq{p, {}, ".dlq", &reg};
  CHECK(dlq.topic_for(origin) == origin + ".dlq");
  CHECK(dead_letter(p, "all.dead").topic_for(origin) == "all.dead");

  record bad;
  bad.topic = origin;
  bad.partition = 2;
  bad.offset = 12345;
  bad.key = "AAPL";
  bad.value = std::string("{\"v\":1,\x00\xff garbage", 17);
  bad.timestamp_ms = 1700000000000;
  bad.headers = {{"trace", "abc"}};
  auto t = std::make_shared<delivery_tracker>();
  dlq.publish(bad, "bar_batch: invalid JSON\nsecond line", t);
  REQUIRE(p.wait(*t, 10s));
  CHECK(dlq.published() == 1);
  CHECK(reg.counter("finstream_kafka_dead_letters_total", "", {{"topic", origin}}).value() == 1);

  consumer k{c, test::unique_name("g")};
  k.subscribe({origin + ".dlq"});
  auto rs = test::poll_n(k, 1, 20s);
  REQUIRE(rs.size() == 1);
  const record& r = rs[0];
  CHECK(r.key == bad.key);
  CHECK(r.value == bad.value);
  CHECK(*find_header(r.headers, dlq_reason_header) == "bar_batch: invalid JSON second line");
  CHECK(*find_header(r.headers, dlq_topic_header) == origin);
  CHECK(*find_header(r.headers, dlq_partition_header) == "2");
  CHECK(*find_header(r.headers, dlq_offset_header) == "12345");
  CHECK(*find_header(r.headers, dlq_timestamp_header) == "1700000000000");
  CHECK(*find_header(r.headers, "trace") == "abc");
}
