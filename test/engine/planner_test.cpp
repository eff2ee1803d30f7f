// Tests of the manager's planning rules.
#include <catch2/catch.hpp>

#include "engine/planner.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

day_t d(const char* s) {
  return *parse_date(s);
}

plan_input input(std::vector<std::string> universe) {
  plan_input in;
  in.universe = std::move(universe);
  in.from = d("2020-01-01");
  in.to = d("2020-12-31");
  in.now_ms = 1'000'000'000;
  in.epoch = "e1";
  return in;
}

symbol_status done(const char* symbol, const char* first, const char* last) {
  symbol_status st;
  st.symbol = symbol;
  st.first_date = d(first);
  st.last_date = d(last);
  st.status = "done";
  return st;
}

} // namespace

TEST_CASE("a symbol never fetched gets one task for the whole range") {
  auto tasks = plan_tasks(input({"AAPL", "MSFT"}), {});
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0].symbol == "AAPL");
  CHECK(tasks[0].from == d("2020-01-01"));
  CHECK(tasks[0].to == d("2020-12-31"));
  CHECK(tasks[0].task_id != tasks[1].task_id);
}

TEST_CASE("a done symbol gets only what is missing, a complete one nothing") {
  std::vector<symbol_status> st{done("AAPL", "2020-01-01", "2020-06-30"),
                                done("MSFT", "2020-01-01", "2020-12-31")};
  planner_options no_window;
  no_window.revision_sessions = 0;
  auto tasks = plan_tasks(input({"AAPL", "MSFT"}), st, no_window);
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].symbol == "AAPL");
  CHECK(tasks[0].from == d("2020-07-01"));
  CHECK(tasks[0].to == d("2020-12-31"));
}

TEST_CASE("an earlier --from than the covered range plans the whole range again") {
  auto tasks = plan_tasks(input({"AAPL"}), {done("AAPL", "2020-03-01", "2020-12-31")});
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].from == d("2020-01-01"));
  CHECK(tasks[0].to == d("2020-12-31"));
}

TEST_CASE("a planned task is re-planned unless this leader has it in flight") {
  symbol_status st;
  st.symbol = "AAPL";
  st.status = "planned";
  st.task_id = "AAPL:x";
  auto in = input({"AAPL"});
  CHECK(plan_tasks(in, {st}).size() == 1);
  in.in_flight.insert("AAPL:x");
  CHECK(plan_tasks(in, {st}).empty());
}

TEST_CASE("permanent failures wait for the range to change, transient ones back off") {
  symbol_status st;
  st.symbol = "ZZZZ";
  st.status = "failed";
  st.planned_from = d("2020-01-01");
  st.planned_to = d("2020-12-31");
  st.permanent = true;
  st.attempts = 1;
  st.updated_at_ms = 1'000'000'000;
  auto in = input({"ZZZZ"});
  CHECK(plan_tasks(in, {st}).empty());
  in.to = d("2021-01-04");
  CHECK(plan_tasks(in, {st}).size() == 1);

  in = input({"ZZZZ"});
  st.permanent = false;
  planner_options opts;
  opts.retry_base_ms = 1000;
  CHECK(plan_tasks(in, {st}, opts).empty()); // within the backoff
  in.now_ms += 1000;
  CHECK(plan_tasks(in, {st}, opts).size() == 1);
  st.attempts = 3; // backoff doubles: 4 s after the third failure
  in.now_ms = st.updated_at_ms + 3999;
  CHECK(plan_tasks(in, {st}, opts).empty());
  in.now_ms = st.updated_at_ms + 4000;
  CHECK(plan_tasks(in, {st}, opts).size() == 1);
  st.attempts = opts.max_attempts;
  in.now_ms += 1'000'000'000;
  CHECK(plan_tasks(in, {st}, opts).empty());
}

TEST_CASE("an empty range plans nothing") {
  auto in = input({"AAPL"});
  in.from = d("2021-01-01");
  CHECK(plan_tasks(in, {}).empty());
}

TEST_CASE("a task completed short of its range (session not closed) waits for the target to move") {
  auto st = done("AAPL", "2020-01-01", "2020-12-30");
  st.planned_from = d("2020-07-01");
  st.planned_to = d("2020-12-31");
  auto in = input({"AAPL"});
  CHECK(plan_tasks(in, {st}).empty());
  in.to = d("2021-01-04"); // the next daily run
  auto tasks = plan_tasks(in, {st});
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].from == d("2020-12-24")); // 2020-12-31 and the revision window before it
  CHECK(tasks[0].to == d("2021-01-04"));
}

TEST_CASE("a continuation re-fetches the revision window, never before from or first_date") {
  // 2020-06-30 is a Tuesday: the five sessions up to it start on Wednesday 2020-06-24.
  auto tasks = plan_tasks(input({"AAPL"}), {done("AAPL", "2020-01-01", "2020-06-30")});
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].from == d("2020-06-24"));
  CHECK(tasks[0].to == d("2020-12-31"));
  planner_options two;
  two.revision_sessions = 2;
  CHECK(plan_tasks(input({"AAPL"}), {done("AAPL", "2020-01-01", "2020-06-30")}, two)[0].from ==
        d("2020-06-29"));
  // Only three sessions stored (from = first_date): the window starts at the first one.
  auto late = input({"AAPL"});
  late.from = d("2020-06-26");
  CHECK(plan_tasks(late, {done("AAPL", "2020-06-26", "2020-06-30")})[0].from == d("2020-06-26"));
  // A complete symbol is not asked again for its window alone, nor is one whose last task
  // (window included) already asked up to the target.
  CHECK(plan_tasks(input({"AAPL"}), {done("AAPL", "2020-01-01", "2020-12-31")}).empty());
  auto st = done("AAPL", "2020-01-01", "2020-12-30");
  st.planned_from = d("2020-12-24");
  st.planned_to = d("2020-12-31");
  CHECK(plan_tasks(input({"AAPL"}), {st}).empty());
  // A failed continuation is retried over the same (window-extended) range, with its backoff.
  auto failed = done("AAPL", "2020-01-01", "2020-06-30");
  failed.status = "failed";
  failed.planned_from = d("2020-06-24");
  failed.planned_to = d("2020-12-31");
  failed.attempts = 5;
  CHECK(plan_tasks(input({"AAPL"}), {failed}).empty()); // attempts used up for this range
}
