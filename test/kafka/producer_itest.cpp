// Producer on the real broker: every message of one key lands on one partition (the one Java's
// partitioner picks), whichever producer sends it; deliveries are confirmed before flush returns.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "kafka/kafka_fixture.hpp"
#include "kafka/producer.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

TEST_CASE("keyed messages from several producers keep each key on one partition") {
  metrics::registry reg;
  const config c = test::client_config(test::kafka_bootstrap(), &reg);
  const std::string topic = test::unique_name("keyed");
  admin{c}.ensure_topics({{topic, 30, 1, {}}});

  std::vector<std::string> symbols{"AAPL", "MSFT",          "BRK-B",   "^GSPC",  "EURUSD=X",
                                   "GC=F", "0P000071W8.TO", "BTC-USD", "WSKT.JK"};
  for (int i = 0; i < 40; ++i)
    symbols.push_back("S" + std::to_string(i * 31));
  constexpr int rounds = 3;
  {
    producer a{c};
    producer b{c};
    for (int round = 0; round < rounds; ++round)
      for (const auto& s : symbols) {
        a.produce(topic, s, "a" + std::to_string(round));
        b.produce(topic, s, "b" + std::to_string(round));
      }
    REQUIRE(a.flush(20s));
    REQUIRE(b.flush(20s));
    CHECK(a.stats().delivered == rounds * symbols.size());
    CHECK(b.stats().failed == 0);
  }

  consumer k{c, test::unique_name("g")};
  k.subscribe({topic});
  const std::size_t expected = 2 * rounds * symbols.size();
  auto rs = test::poll_n(k, expected, 60s);
  REQUIRE(rs.size() == expected);
  std::map<std::string, std::set<int>> partitions;
  std::map<std::string, std::vector<std::string>> order_from_a;
  for (const auto& r : rs) {
    partitions[r.key].insert(r.partition);
    CHECK(r.partition == test::java_partition(r.key, 30));
    if (r.value[0] == 'a') order_from_a[r.key].push_back(r.value);
  }
  REQUIRE(partitions.size() == symbols.size());
  for (const auto& [key, ps] : partitions) {
    INFO(key);
    CHECK(ps.size() == 1);
    // One producer's messages of one key arrive in the order they were produced.
    CHECK(order_from_a[key] == std::vector<std::string>{"a0", "a1", "a2"});
  }
}
