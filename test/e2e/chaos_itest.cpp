// End-to-end chaos loop: during one backfill, 20 SIGKILLs from a seeded random generator hit
// random replicas (the leader manager, a standby, an agent, a processor) at random times; each
// victim restarts after a random pause. The run must still end with every symbol done and the
// table equal to `finstream indicators`. The seed is printed; FINSTREAM_CHAOS_SEED replays one.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "harness.hpp"
#include "scenario.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

TEST_CASE("chaos: 20 seeded random SIGKILLs of the leader, agents and processors during a "
          "backfill, and the run ends exact",
          "[e2e][chaos]") {
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("FINSTREAM_CHAOS_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "chaos seed " << seed << " (replay: FINSTREAM_CHAOS_SEED=" << seed << ")"
            << std::endl;
  INFO("chaos seed " << seed);
  std::mt19937_64 rng{seed};
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };

  test_database db{"e2e_chaos"};
  kafka_names k{"chaos"};
  scratch_area area{"chaos"};
  auto dir = area.path();
  auto symbols = synthetic_symbols(180);
  const std::string from = "2000-01-01", to = "2020-12-31"; // ~990,000 bars
  // Two replicas able to lead (one does, the other stands by), one agent-only, one
  // processor-only replica.
  struct slot {
    std::string name, roles;
    std::unique_ptr<process> p;
    int starts = 0;
  };
  std::vector<slot> slots(4);
  const char* names[] = {"manager_a", "manager_b", "agent", "processor"};
  const char* roles[] = {"manager=1,agent=1,processor=1", "manager=1,agent=1,processor=1",
                         "manager=0,agent=1,processor=0", "manager=0,agent=0,processor=1"};
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].name = names[i];
    slots[i].roles = roles[i];
  }
  auto start = [&](slot& s) {
    s.p = std::make_unique<process>(run_args(s.roles, db, k, symbols, from, to),
                                    dir + "/" + s.name + "." + std::to_string(s.starts++) + ".log");
  };
  for (auto& s : slots)
    start(s);
  REQUIRE(
      wait_until([&] { return db.scalar("SELECT count(*) FROM technical_indicators") > 0; }, 180s));

  // The leader: the replica whose manager holds the lock (its finstream_manager_leader gauge).
  auto leader = [&]() -> slot* {
    for (int i = 0; i < 2; ++i) {
      auto port = slots[i].p->metrics_port(5s);
      if (port && metric(*port, "finstream_manager_leader") == 1) return &slots[i];
    }
    return nullptr;
  };
  int leader_kills = 0;
  std::map<std::string, int> kills;
  for (int n = 0; n < 20; ++n) {
    // Kills ~1.5 s apart on average: the 20 of them fall inside the backfill on an idle machine too.
    std::this_thread::sleep_for(std::chrono::milliseconds{uniform(200, 1200)});
    slot* victim = nullptr;
    slot* const current_leader = leader();
    int pick = uniform(0, 3);
    if (pick == 0) victim = current_leader; // the leader, whichever replica it is now
    if (victim == nullptr) victim = &slots[static_cast<std::size_t>(uniform(0, 3))];
    if (victim == current_leader) ++leader_kills;
    victim->p->signal(SIGKILL);
    REQUIRE(victim->p->wait(10s));
    ++kills[victim->name];
    std::this_thread::sleep_for(std::chrono::milliseconds{uniform(0, 1000)});
    start(*victim);
  }
  std::cout << "chaos kills: leader " << leader_kills << ", manager_a " << kills["manager_a"]
            << ", manager_b " << kills["manager_b"] << ", agent " << kills["agent"]
            << ", processor " << kills["processor"] << std::endl;
  INFO("kills: leader " << leader_kills << ", manager_a " << kills["manager_a"] << ", manager_b "
                        << kills["manager_b"] << ", agent " << kills["agent"] << ", processor "
                        << kills["processor"]);
  CHECK(done_symbols(db) < 180); // the kills fell inside the backfill
  REQUIRE(wait_until([&] { return done_symbols(db) == 180; }, 420s));
  auto csvs = fetch_csvs(symbols, from, to, "synthetic", dir);
  require_table_equals_indicators(db, csvs, dir);
}
