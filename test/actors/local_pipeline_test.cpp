// Deterministic tests of the actors' wiring under CAF's `testing` scheduler policy: the manager,
// agents, processors and sinks of local mode over in-memory stores, driven message by message.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/local_agent.hpp"
#include "actors/local_processor.hpp"
#include "actors/manager_actor.hpp"
#include "actors/sink_actor.hpp"
#include "sources/factory.hpp"
#include "support/memory_stores.hpp"

using namespace finstream;

namespace {

/// A batch_writer over the in-memory stores: what PostgreSQL's sink does, in memory.
class memory_writer : public engine::batch_writer {
public:
  memory_writer(test::memory_history_store& h, test::memory_plan_store& p)
      : history(h)
      , plan(p) {}
  engine::commit_reply write(const engine::commit_request& req) override {
    history.commit(req.output, indicators::indicator_set::algorithm_version);
    for (const auto& o : req.output.outcomes)
      plan.complete(o);
    ++commits;
    engine::commit_reply r;
    r.ok = true;
    r.rows = req.output.rows.size();
    return r;
  }
  test::memory_history_store& history;
  test::memory_plan_store& plan;
  int commits = 0;
};

/// Shares one store between the actors (they take shared_ptrs) without owning it.
template <class T>
std::shared_ptr<T> borrow(T& x) {
  return std::shared_ptr<T>(&x, [](T*) {});
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  test::memory_history_store history;
  test::memory_plan_store plan;
  std::shared_ptr<memory_writer> writer = std::make_shared<memory_writer>(history, plan);

  std::vector<caf::actor_addr> spawned;

  /// Spawns (not detached: the test scheduler runs it) and remembers the actor for shutdown.
  template <class... Ts>
  auto spawn(Ts&&... xs) {
    auto h = sys->spawn(std::forward<Ts>(xs)...);
    spawned.push_back(h.address());
    return h;
  }

  ~fixture() {
    // The actor system waits for every actor: stop them all, then let the scheduler drain.
    for (auto& a : spawned)
      if (auto h = caf::actor_cast<caf::actor>(a))
        caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched->run();
  }

  fixture() {
    actors::add_message_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  template <class Handle>
  static bool is(caf::resumable* job, const Handle& h) {
    return dynamic_cast<caf::abstract_actor*>(job) == caf::actor_cast<caf::abstract_actor*>(h);
  }

  /// Runs everything that is runnable, firing timers until `done` or `rounds` run out.
  template <class Pred>
  bool run_until(Pred done, int rounds = 10000) {
    for (int i = 0; i < rounds; ++i) {
      sched->run();
      if (done()) return true;
      sched->trigger_timeouts();
    }
    return done();
  }
};

std::vector<bar> bars_of(const std::string& symbol, day_t from, day_t to) {
  source_options so;
  so.spec = "synthetic";
  auto src = make_source(so);
  auto r = src->fetch(symbol, from, to);
  return std::get<bar_series>(r).bars;
}

} // namespace

TEST_CASE_METHOD(fixture, "local actors: tasks flow manager → agent → processor → sink, and every "
                          "row equals a direct computation") {
  const day_t from = *parse_date("2018-01-01"), to = *parse_date("2020-12-31");
  std::vector<std::string> universe{"AAA", "BBB", "CCC", "DDD", "EEE"};
  actors::manager_config mc;
  mc.store = borrow<engine::plan_store>(plan);
  mc.universe = [universe] { return universe; };
  mc.options.from = from;
  mc.options.to = to;
  auto manager = spawn(actors::manager, mc);
  std::vector<actors::processor_actor> processors;
  for (int i = 0; i < 2; ++i) {
    actors::local_processor_config pc;
    pc.sink = spawn(actors::sink, std::shared_ptr<engine::batch_writer>(writer));
    pc.store = borrow<engine::history_store>(history);
    pc.options.batch_rows = 300;
    processors.push_back(spawn(actors::local_processor, pc));
  }
  source_options so;
  so.spec = "synthetic";
  auto factory = std::make_shared<source_factory>(so);
  for (int i = 0; i < 2; ++i) {
    actors::local_agent_config ac;
    ac.manager = manager;
    ac.processors = processors;
    ac.make_source = [factory] { return factory->make(); };
    ac.batch_bars = 200;
    caf::anon_send(spawn(actors::local_agent, ac), actors::next_atom_v);
  }
  engine::manager_progress progress;
  caf::scoped_actor self{*sys};
  REQUIRE(run_until([&] {
    self->send(manager, actors::progress_atom_v);
    sched->run();
    bool idle = false;
    self->receive(
        [&](const engine::manager_progress& p) {
          progress = p;
          idle = p.idle;
        },
        caf::after(std::chrono::seconds{0}) >> [] {});
    return idle;
  }));
  CHECK(progress.planned == 5);
  CHECK(progress.done == 5);
  CHECK(writer->commits > 5);
  // Each symbol's rows equal a single uninterrupted computation over its bars.
  for (const auto& s : universe) {
    auto bars = bars_of(s, from, to);
    REQUIRE(history.rows.at(s).size() == bars.size());
    auto set = indicators::indicator_set::default_set();
    std::vector<double> out(set.output_count());
    for (const auto& b : bars) {
      set.update(b, out.data());
      const auto& row = history.rows.at(s).at(b.date);
      REQUIRE(row.b == b);
      for (std::size_t i = 0; i < out.size(); ++i)
        REQUIRE((row.values[i] == out[i] || (std::isnan(row.values[i]) && std::isnan(out[i]))));
    }
  }
  for (const auto& s : universe)
    CHECK(plan.rows.at(s).status == "done");
}

TEST_CASE_METHOD(fixture, "local processor: while its commits are in flight it withholds "
                          "acceptance, which paces the agents") {
  auto sink = spawn(actors::sink, std::shared_ptr<engine::batch_writer>(writer));
  actors::local_processor_config pc;
  pc.sink = sink;
  pc.store = borrow<engine::history_store>(history);
  pc.options.batch_rows = 10;
  pc.options.max_inflight = 1;
  auto proc = spawn(actors::local_processor, pc);
  auto bars = bars_of("XYZ", *parse_date("2020-01-01"), *parse_date("2020-03-31"));
  REQUIRE(bars.size() > 60);
  caf::scoped_actor self{*sys};
  for (int i = 0; i < 3; ++i) {
    bar_batch b;
    b.symbol = "XYZ";
    b.task_id = "t";
    b.bars.assign(bars.begin() + i * 20, bars.begin() + (i + 1) * 20);
    b.last = i == 2;
    self->send(proc, std::move(b));
  }
  auto accepted = [&] {
    int n = 0;
    for (bool more = true; more;) {
      more = false;
      self->receive(
          [&](bool) {
            ++n;
            more = true;
          },
          caf::after(std::chrono::seconds{0}) >> [] {});
    }
    return n;
  };
  // Only the processor runs: the first batch fills a commit (20 rows ≥ 10) and is accepted; the
  // others wait, since the sink has not answered.
  sched->run_jobs_filtered([&](caf::resumable* job) { return is(job, proc); });
  CHECK(accepted() == 1);
  CHECK(writer->commits == 0);
  // The sink commits; its answer frees the slot for the next batch, and so on.
  sched->run_jobs_filtered([&](caf::resumable* job) { return is(job, sink); });
  CHECK(writer->commits == 1);
  sched->run_jobs_filtered([&](caf::resumable* job) { return is(job, proc); });
  CHECK(accepted() == 1);
  sched->run();
  sched->trigger_timeouts();
  sched->run();
  CHECK(accepted() == 1);
  CHECK(writer->commits == 3);
  CHECK(history.rows.at("XYZ").size() == 60);
}

TEST_CASE_METHOD(fixture, "manager: hands out one task at a time and plans nothing twice") {
  actors::manager_config mc;
  mc.store = borrow<engine::plan_store>(plan);
  mc.universe = [] { return std::vector<std::string>{"AAA", "BBB"}; };
  mc.options.from = *parse_date("2020-01-01");
  mc.options.to = *parse_date("2020-12-31");
  auto manager = spawn(actors::manager, mc);
  sched->run();
  caf::scoped_actor self{*sys};
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    self->send(manager, actors::get_task_atom_v);
    sched->run();
    self->receive([&](const std::vector<fetch_task>& tasks) {
      CHECK(tasks.size() <= 1);
      for (const auto& t : tasks)
        got.push_back(t.symbol);
    });
  }
  CHECK(got == std::vector<std::string>{"AAA", "BBB"});
  // Another tick while both are in flight plans nothing new.
  sched->trigger_timeouts();
  sched->run();
  self->send(manager, actors::get_task_atom_v);
  sched->run();
  self->receive([&](const std::vector<fetch_task>& tasks) { CHECK(tasks.empty()); });
}
