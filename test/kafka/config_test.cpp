// Tests of the Kafka client configuration: defaults librdkafka accepts, overrides, clear errors.
#include <catch2/catch.hpp>

#include "kafka/admin.hpp"
#include "kafka/config.hpp"
#include "kafka/consumer.hpp"
#include "kafka/error.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"

using namespace finstream;
using namespace finstream::kafka;

namespace {

const std::string* find(const properties& ps, const std::string& key) {
  const std::string* v = nullptr;
  for (const auto& [k, val] : ps)
    if (k == key) v = &val;
  return v;
}

config unreachable() {
  config c;
  // Creating a client does not connect synchronously; nothing listens on port 9 (discard).
  c.bootstrap_servers = "127.0.0.1:9";
  c.client_id = "config-test";
  return c;
}

} // namespace

TEST_CASE("the defaults state the delivery and rebalancing guarantees finstream relies on") {
  const auto& p = config::producer_defaults();
  CHECK(*find(p, "enable.idempotence") == "true");
  CHECK(*find(p, "acks") == "all");
  CHECK(*find(p, "partitioner") == "murmur2_random");
  CHECK(find(p, "queue.buffering.max.kbytes"));
  const auto& c = config::consumer_defaults();
  CHECK(*find(c, "enable.auto.commit") == "false");
  CHECK(*find(c, "enable.auto.offset.store") == "false");
  CHECK(*find(c, "partition.assignment.strategy") == "cooperative-sticky");
  CHECK(*find(c, "auto.offset.reset") == "earliest");
  CHECK(*find(config::common_defaults(), "allow.auto.create.topics") == "false");
}

TEST_CASE("librdkafka accepts the defaults for every client kind") {
  metrics::registry reg;
  config c = unreachable();
  c.registry = &reg;
  CHECK_NOTHROW(producer{c});
  CHECK_NOTHROW(consumer(c, "config-test-group"));
  CHECK_NOTHROW(admin{c});
}

TEST_CASE("key=value properties are parsed and passed through, later ones winning") {
  auto p = parse_property(" linger.ms = 20");
  CHECK(p.first == "linger.ms");
  CHECK(p.second == " 20");
  auto q = parse_property("sasl.password=a=b");
  CHECK(q.first == "sasl.password");
  CHECK(q.second == "a=b");
  CHECK_THROWS_AS(parse_property("no-equals"), config_error);
  CHECK_THROWS_AS(parse_property("=value"), config_error);

  metrics::registry reg;
  config c = unreachable();
  c.registry = &reg;
  c.set("compression.type=zstd");
  c.producer_extra.push_back({"linger.ms", "50"});
  CHECK_NOTHROW(producer{c});
}

TEST_CASE("configuration errors name the property, never its value") {
  metrics::registry reg;
  config c = unreachable();
  c.registry = &reg;

  config unknown = c;
  unknown.set("no.such.property=secret-value");
  try {
    producer p{unknown};
    FAIL("expected a config_error");
  } catch (const config_error& e) {
    std::string what = e.what();
    CHECK(what.find("no.such.property") != std::string::npos);
    CHECK(what.find("secret-value") == std::string::npos);
  }

  config invalid = c;
  invalid.consumer_extra.push_back({"session.timeout.ms", "not-a-number"});
  try {
    consumer k{invalid, "g"};
    FAIL("expected a config_error");
  } catch (const config_error& e) {
    CHECK(std::string{e.what()}.find("session.timeout.ms") != std::string::npos);
  }

  config none = c;
  none.bootstrap_servers.clear();
  CHECK_THROWS_AS(producer{none}, config_error);
  CHECK_THROWS_AS(consumer(c, ""), config_error);
}
