// partition_of: the partition a symbol's records land on, as the producers' partitioner picks it
// (checked against an independent port of Kafka's Java murmur2, which producer_test checks
// against records produced through librdkafka).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "kafka/partitioner.hpp"
#include "kafka_fixture.hpp"

using namespace finstream;

TEST_CASE("partition_of equals the producers' partitioner for every key and partition count") {
  for (int partitions : {1, 6, 30, 97}) {
    for (int i = 0; i < 500; ++i) {
      const std::string key = "S" + std::to_string(i * 7919) + (i % 3 ? ".L" : "");
      INFO(key << " / " << partitions);
      REQUIRE(kafka::partition_of(key, partitions) == test::java_partition(key, partitions));
    }
    CHECK(kafka::partition_of("BRK-B", partitions) == test::java_partition("BRK-B", partitions));
    CHECK(kafka::partition_of("", partitions) == test::java_partition("", partitions));
  }
  CHECK_THROWS_AS(kafka::partition_of("AAPL", 0), std::invalid_argument);
}
