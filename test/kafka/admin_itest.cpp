// Topic administration on the real broker: creation, idempotency, concurrent creation, errors.
#include <catch2/catch.hpp>

#include <thread>

#include "kafka/admin.hpp"
#include "kafka/error.hpp"
#include "kafka/kafka_fixture.hpp"
#include "metrics/metrics.hpp"
#include "support/env.hpp"

using namespace finstream;
using namespace finstream::kafka;
using namespace std::chrono_literals;

TEST_CASE("missing topics are created with their partitions, a second call changes nothing") {
  metrics::registry reg;
  admin a{test::client_config(test::kafka_bootstrap(), &reg)};
  const std::string tasks = test::unique_name("stock_topic");
  const std::string bars = test::unique_name("stock_data_topic");
  REQUIRE_FALSE(a.partition_count(tasks));

  std::vector<topic_spec> specs{{tasks, 30, 1, {}}, {bars, 7, 1, {{"retention.ms", "3600000"}}}};
  auto first = a.ensure_topics(specs);
  REQUIRE(first.size() == 2);
  CHECK(first[0].name == tasks);
  CHECK(first[0].created);
  CHECK(first[0].partitions == 30);
  CHECK(first[1].created);
  CHECK(first[1].partitions == 7);
  CHECK(a.partition_count(tasks) == 30);
  CHECK(a.partition_count(bars) == 7);

  // Idempotent; an existing topic is taken as it is, even when the spec asks for more.
  specs[1].partitions = 12;
  auto second = a.ensure_topics(specs);
  CHECK_FALSE(second[0].created);
  CHECK_FALSE(second[1].created);
  CHECK(second[0].partitions == 30);
  CHECK(second[1].partitions == 7);

  // Looking a topic up never creates it.
  const std::string ghost = test::unique_name("ghost");
  CHECK_FALSE(a.partition_count(ghost));
  CHECK_FALSE(a.partition_count(ghost));
}

TEST_CASE("several replicas creating the same topics at once all succeed, one creates each") {
  metrics::registry reg;
  const config c = test::client_config(test::kafka_bootstrap(), &reg);
  std::vector<topic_spec> specs;
  for (int i = 0; i < 3; ++i)
    specs.push_back({test::unique_name("concurrent"), 30, 1, {}});

  constexpr int replicas = 4;
  std::vector<std::vector<topic_info>> results(replicas);
  std::vector<std::string> errors(replicas);
  std::vector<std::unique_ptr<admin>> admins;
  for (int r = 0; r < replicas; ++r)
    admins.push_back(std::make_unique<admin>(c));
  std::vector<std::thread> threads;
  for (int r = 0; r < replicas; ++r)
    threads.emplace_back([&, r] {
      try {
        results[r] = admins[r]->ensure_topics(specs);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  for (int r = 0; r < replicas; ++r) {
    INFO("replica " << r);
    REQUIRE(errors[r].empty());
    REQUIRE(results[r].size() == specs.size());
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    int creators = 0;
    for (int r = 0; r < replicas; ++r) {
      CHECK(results[r][i].partitions == 30);
      creators += results[r][i].created ? 1 : 0;
    }
    CHECK(creators == 1);
  }
}

TEST_CASE("a topic the cluster cannot create is an error naming it") {
  metrics::registry reg;
  admin a{test::client_config(test::kafka_bootstrap(), &reg)};
  const std::string name = test::unique_name("unreplicable");
  try {
    a.ensure_topics({{name, 3, 3, {}}}, 20s); // one broker cannot hold 3 replicas
    FAIL("expected kafka::error");
  } catch (const error& e) {
    std::string what = e.what();
    CHECK(what.find(name) != std::string::npos);
    CHECK(what.find("INVALID_REPLICATION_FACTOR") != std::string::npos);
  }
  CHECK_FALSE(a.partition_count(name));
  CHECK_THROWS_AS(a.ensure_topics({{"bad name with blanks", 1, 1, {}}}), error);
}

TEST_CASE("delete_topics removes topics and ignores missing ones", "[kafka][admin]") {
  finstream::kafka::config c;
  c.bootstrap_servers = finstream::test::kafka_bootstrap();
  finstream::kafka::admin a{c};
  auto name = finstream::test::unique_name("delete_me");
  a.ensure_topics({{name, 2, -1, {}}});
  REQUIRE(a.partition_count(name) == 2);
  a.delete_topics({name, name + "_never_created"});
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !a.partition_count(name).has_value();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  CHECK(gone);
}

TEST_CASE("create_partitions raises a topic's partition count and cannot lower it",
          "[kafka][admin]") {
  finstream::kafka::config c;
  c.bootstrap_servers = finstream::test::kafka_bootstrap();
  finstream::kafka::admin a{c};
  auto name = finstream::test::unique_name("grow_me");
  a.ensure_topics({{name, 2, -1, {}}});
  a.create_partitions(name, 5);
  bool grown = false;
  for (int i = 0; i < 100 && !grown; ++i) {
    grown = a.partition_count(name) == 5;
    if (!grown) std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  CHECK(grown);
  CHECK_THROWS_WITH(a.create_partitions(name, 3), Catch::Contains(name));
  a.delete_topics({name});
}
