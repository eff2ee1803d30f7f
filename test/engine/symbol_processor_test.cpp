// Tests of the processors' core: incremental results equal a single full computation, whatever the
// chunking, the duplicates, the restarts (state restored from the store) and the splits.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "engine/symbol_processor.hpp"
#include "support/bar_walk.hpp"
#include "support/memory_stores.hpp"

using namespace finstream;
using namespace finstream::engine;

namespace {

using test::walk;

bar_batch batch_of(const std::string& symbol, std::vector<bar> bars, bool last = true) {
  bar_batch b;
  b.task_id = symbol + ":t";
  b.symbol = symbol;
  b.from = bars.empty() ? 0 : bars.front().date;
  b.to = bars.empty() ? 0 : bars.back().date;
  b.bars = std::move(bars);
  b.last = last;
  return b;
}

std::vector<bar> slice(const std::vector<bar>& v, std::size_t from, std::size_t to) {
  return {v.begin() + static_cast<std::ptrdiff_t>(from),
          v.begin() + static_cast<std::ptrdiff_t>(to)};
}

// Feeds `batches` through a processor over `store`, committing after each batch; a new processor
// (a restarted process) is created before batch i when restart_before[i].
void run(test::memory_history_store& store, const std::vector<bar_batch>& batches,
         std::set<std::size_t> restart_before = {}) {
  auto proc = std::make_unique<symbol_processor>(indicators::indicator_set::default_set(), store);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (restart_before.count(i))
      proc = std::make_unique<symbol_processor>(indicators::indicator_set::default_set(), store);
    pending_output out;
    proc->process(batches[i], out);
    store.commit(out, indicators::indicator_set::algorithm_version);
    proc->committed();
  }
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

void require_same_rows(const test::memory_history_store& a, const test::memory_history_store& b,
                       const std::string& symbol) {
  const auto& ra = a.rows.at(symbol);
  const auto& rb = b.rows.at(symbol);
  REQUIRE(ra.size() == rb.size());
  for (const auto& [date, row] : ra) {
    const auto& other = rb.at(date);
    INFO(format_date(date));
    REQUIRE(row.b == other.b);
    for (std::size_t i = 0; i < indicator_column_count; ++i) {
      INFO(indicator_columns[i]);
      REQUIRE(same_bits(row.values[i], other.values[i]));
    }
  }
}

// A split of `ratio`:1 effective at bar `at` of a walk: the raw (as-traded) prices, divided from
// `at` on, and the same history as a source asked after the split reports it (earlier bars
// adjusted with apply_split, Yahoo's behaviour).
struct split_history {
  split_event split;
  std::vector<bar> raw, adjusted;
};

split_history split_walk(const std::vector<bar>& bars, std::size_t at, int ratio) {
  split_history h{{bars[at].date, ratio, 1}, bars, {}};
  for (std::size_t i = at; i < h.raw.size(); ++i) {
    h.raw[i].open /= ratio;
    h.raw[i].high /= ratio;
    h.raw[i].low /= ratio;
    h.raw[i].close /= ratio;
    h.raw[i].adj_close /= ratio;
  }
  h.adjusted = h.raw;
  for (std::size_t i = 0; i < at; ++i)
    apply_split(h.adjusted[i], h.split);
  return h;
}

} // namespace

TEST_CASE("chunked, restarted and duplicated input gives bit-identical rows") {
  auto bars = walk(10000, 400, 7);
  test::memory_history_store whole, pieces;
  run(whole, {batch_of("AAPL", bars)});
  // Chunks with overlaps (a redelivered task) and restarts in between.
  run(pieces,
      {batch_of("AAPL", slice(bars, 0, 50), false), batch_of("AAPL", slice(bars, 50, 120)),
       batch_of("AAPL", slice(bars, 0, 120)), batch_of("AAPL", slice(bars, 120, 121)),
       batch_of("AAPL", slice(bars, 100, 300)), batch_of("AAPL", slice(bars, 300, 400))},
      {2, 3, 5});
  require_same_rows(whole, pieces, "AAPL");
  REQUIRE(whole.rows.at("AAPL").size() == 400);
  // RSI(14) has its first value on the 15th bar.
  CHECK(std::isnan(whole.rows.at("AAPL").at(10013).values[0]));
  CHECK_FALSE(std::isnan(whole.rows.at("AAPL").at(10014).values[0]));
}

TEST_CASE("duplicates are counted and change nothing") {
  auto bars = walk(10000, 100, 3);
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  pending_output out;
  proc.process(batch_of("MSFT", bars), out);
  CHECK(out.rows.size() == 100);
  CHECK(out.outcomes.size() == 1);
  CHECK(out.outcomes[0].ok);
  out.clear();
  proc.process(batch_of("MSFT", slice(bars, 50, 100)), out);
  CHECK(out.rows.empty());
  CHECK(proc.stats().duplicates == 50);
  CHECK(out.outcomes.size() == 1); // the task still completes
}

TEST_CASE("a split restates stored history: incremental equals a single adjusted fetch") {
  // Raw as-traded prices with a 4:1 split on day 250: a source asked later reports every earlier
  // bar divided by 4 (Yahoo's behaviour); the processor got the first 200 bars before the split.
  const auto [split, raw, adjusted] = split_walk(walk(10000, 300, 11), 250, 4);

  test::memory_history_store full, incremental;
  auto one = batch_of("NVDA", adjusted);
  one.splits = {split};
  run(full, {one});

  auto later = batch_of("NVDA", slice(adjusted, 200, 300)); // fetched after the split
  later.splits = {split};
  auto redelivered = later;
  run(incremental, {batch_of("NVDA", slice(raw, 0, 200)), later, redelivered}, {1});
  require_same_rows(full, incremental, "NVDA");
  CHECK(incremental.rows.at("NVDA").at(10000).b.close == adjusted[0].close);
}

TEST_CASE("a backfill of an earlier range recomputes the symbol from the start") {
  auto bars = walk(10000, 200, 5);
  test::memory_history_store whole, backfilled;
  run(whole, {batch_of("IBM", bars)});
  run(backfilled, {batch_of("IBM", slice(bars, 100, 200)), batch_of("IBM", slice(bars, 0, 150))});
  require_same_rows(whole, backfilled, "IBM");
}

// An extension task as the agents send it: the task's range [from, to] cut into batches of `size`
// bars, the last one flagged.
std::vector<bar_batch> task_batches(const std::string& symbol, const std::vector<bar>& bars,
                                    std::size_t from, std::size_t to, std::size_t size,
                                    const std::string& task = "x") {
  std::vector<bar_batch> out;
  for (std::size_t i = from; i < to; i += size) {
    auto b = batch_of(symbol, slice(bars, i, std::min(to, i + size)), i + size >= to);
    b.task_id = symbol + ":" + task;
    b.from = bars[from].date;
    b.to = bars[to - 1].date;
    b.seq = static_cast<std::uint32_t>((i - from) / size);
    out.push_back(std::move(b));
  }
  return out;
}

TEST_CASE("history extended back over many batches equals one computation over the whole range") {
  // 3,000 sessions; 1,000 stored (the last ones), then a task over all of them, as a backfill that
  // reaches back 2,000 sessions. Batch sizes: several batches before the stored rows, one ending
  // exactly on the stored first date (500, 1000, 400 divide 2,000), others not (700, 999, 1999),
  // one batch over everything.
  auto bars = walk(10000, 3000, 21);
  test::memory_history_store whole;
  run(whole, {batch_of("XB1", bars)});
  for (std::size_t size : {1000u, 500u, 400u, 700u, 999u, 1999u, 3000u}) {
    for (bool restarts : {false, true}) {
      INFO("batch size " << size << (restarts ? ", a restart before each batch" : ""));
      test::memory_history_store extended;
      run(extended, {batch_of("XB1", slice(bars, 2000, 3000))});
      auto batches = task_batches("XB1", bars, 0, 3000, size);
      std::set<std::size_t> restart_before;
      if (restarts)
        for (std::size_t i = 0; i < batches.size(); ++i)
          restart_before.insert(i);
      run(extended, batches, restart_before);
      REQUIRE(extended.rows.at("XB1").size() == 3000);
      require_same_rows(whole, extended, "XB1");
      auto cp = symbol_checkpoint::decode(extended.checkpoints.at("XB1").bytes);
      CHECK_FALSE(cp.ext.has_value());
      CHECK(cp.first_date == 10000);
      CHECK(cp.last_date == 12999);
    }
  }
}

TEST_CASE("an extension in progress: no completion before its last batch, linear work, "
          "redelivered batches change nothing") {
  auto bars = walk(10000, 3000, 22);
  test::memory_history_store whole, extended;
  run(whole, {batch_of("XB2", bars)});
  run(extended, {batch_of("XB2", slice(bars, 2000, 3000))});
  auto batches = task_batches("XB2", bars, 0, 3000, 500);
  symbol_processor proc{indicators::indicator_set::default_set(), extended};
  std::size_t rows_written = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    // Batch 1 is delivered twice (a redelivery after an agent's crash).
    for (int times = 0; times < (i == 1 ? 2 : 1); ++times) {
      pending_output out;
      // Only the batch that reaches the stored rows reads them (the later ones are duplicates).
      CHECK(proc.needs_history(batches[i]) == (i == 4));
      proc.process(batches[i], out);
      rows_written += out.rows.size();
      if (!batches[i].last) {
        CHECK(out.outcomes.empty());
      } else {
        REQUIRE(out.outcomes.size() == 1);
        CHECK(out.outcomes[0].ok);
      }
      if (i == 1 && times == 1) CHECK(out.rows.empty());
      extended.commit(out, indicators::indicator_set::algorithm_version);
      proc.committed();
      auto cp = symbol_checkpoint::decode(extended.checkpoints.at("XB2").bytes);
      CHECK(cp.ext.has_value() == (i < 4));
    }
  }
  require_same_rows(whole, extended, "XB2");
  // Each extension session once, each stored session once more: no batch recomputes everything.
  CHECK(rows_written == 3000);
  CHECK(proc.stats().extensions == 1);
  CHECK(proc.stats().recomputes == 0);
}

TEST_CASE("an extension interrupted by a further one, a stale state, a split or a failure ends exact") {
  auto bars = walk(10000, 3000, 23);
  test::memory_history_store whole;
  run(whole, {batch_of("XB3", bars)});

  SECTION("a second extension further back starts while the first is open") {
    test::memory_history_store s;
    run(s, {batch_of("XB3", slice(bars, 2000, 3000))});
    auto first = task_batches("XB3", bars, 1000, 3000, 500, "a");
    run(s, {first[0], first[1]}); // then the task is re-planned from further back
    run(s, task_batches("XB3", bars, 0, 3000, 700, "b"));
    require_same_rows(whole, s, "XB3");
  }
  SECTION("the state of another algorithm version in the middle of an extension") {
    test::memory_history_store s;
    run(s, {batch_of("XB3", slice(bars, 2000, 3000))});
    auto batches = task_batches("XB3", bars, 0, 3000, 600);
    run(s, {batches[0], batches[1]});
    s.checkpoints.at("XB3").algo_version += 1;
    run(s, {batches.begin() + 2, batches.end()});
    require_same_rows(whole, s, "XB3");
  }
  SECTION("a split the stored rows do not reflect, reported with the extension's first batch") {
    // The stored sessions were fetched before a 2:1 split at session 2500 (as traded); the
    // extension task, fetched after it, reports everything in post-split units.
    const auto [split, raw, adjusted] = split_walk(bars, 2500, 2);
    test::memory_history_store oracle, s;
    auto one = batch_of("XB3", adjusted);
    one.splits = {split};
    run(oracle, {one});
    run(s, {batch_of("XB3", slice(raw, 2000, 2400))});
    auto batches = task_batches("XB3", adjusted, 0, 3000, 450);
    batches[0].splits = {split};
    run(s, batches, {3});
    require_same_rows(oracle, s, "XB3");
  }
  SECTION("the task fails in the middle and its retry goes on") {
    test::memory_history_store s;
    run(s, {batch_of("XB3", slice(bars, 2000, 3000))});
    auto batches = task_batches("XB3", bars, 0, 3000, 800);
    bar_batch failed;
    failed.task_id = "XB3:x";
    failed.symbol = "XB3";
    failed.error = "HTTP 503";
    run(s, {batches[0], batches[1], failed});
    CHECK(symbol_checkpoint::decode(s.checkpoints.at("XB3").bytes).ext.has_value());
    run(s, task_batches("XB3", bars, 0, 3000, 800, "retry"));
    require_same_rows(whole, s, "XB3");
  }
}

TEST_CASE("an extension whose task ends before the stored rows leaves rows equal to the stored "
          "bars' computation") {
  // Sessions 0..999 and 2000..2999 stored, 1000..1999 never delivered: the rows are those of one
  // computation over the bars stored, and the extension is closed.
  auto bars = walk(10000, 3000, 24);
  std::vector<bar> stored_bars = slice(bars, 0, 1000);
  auto tail = slice(bars, 2000, 3000);
  stored_bars.insert(stored_bars.end(), tail.begin(), tail.end());
  test::memory_history_store oracle, s;
  run(oracle, {batch_of("XB4", stored_bars)});
  run(s, {batch_of("XB4", tail)});
  run(s, task_batches("XB4", bars, 0, 1000, 300));
  require_same_rows(oracle, s, "XB4");
  CHECK_FALSE(symbol_checkpoint::decode(s.checkpoints.at("XB4").bytes).ext.has_value());
}

TEST_CASE("a checkpoint from another algorithm version triggers a recompute from stored rows") {
  auto bars = walk(10000, 120, 9);
  test::memory_history_store whole, upgraded;
  run(whole, {batch_of("KO", bars)});
  run(upgraded, {batch_of("KO", slice(bars, 0, 80))});
  upgraded.checkpoints.at("KO").algo_version += 1;
  symbol_processor proc{indicators::indicator_set::default_set(), upgraded};
  CHECK(proc.needs_history(batch_of("KO", slice(bars, 80, 120))));
  pending_output out;
  proc.process(batch_of("KO", slice(bars, 80, 120)), out);
  upgraded.commit(out, indicators::indicator_set::algorithm_version);
  CHECK(proc.stats().recomputes == 1);
  require_same_rows(whole, upgraded, "KO");
}

TEST_CASE("a failed fetch becomes a failed outcome and no rows") {
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  bar_batch b;
  b.symbol = "ZZZZ";
  b.task_id = "t";
  b.error = "not found";
  b.permanent = true;
  pending_output out;
  proc.process(b, out);
  CHECK(out.rows.empty());
  REQUIRE(out.outcomes.size() == 1);
  CHECK_FALSE(out.outcomes[0].ok);
  CHECK(out.outcomes[0].permanent);
}

TEST_CASE("the symbol cache is bounded and evicts only committed states") {
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store, 2};
  auto bars = walk(10000, 30, 1);
  pending_output out;
  for (const char* s : {"A", "B", "C"})
    proc.process(batch_of(s, bars), out);
  CHECK(proc.cached_symbols() == 3); // nothing committed yet: nothing may go
  store.commit(out, indicators::indicator_set::algorithm_version);
  proc.committed();
  CHECK(proc.cached_symbols() == 2);
  // The evicted symbol is restored from its checkpoint and continues exactly.
  test::memory_history_store whole;
  run(whole, {batch_of("A", walk(10000, 40, 1))});
  out.clear();
  proc.process(batch_of("A", slice(walk(10000, 40, 1), 30, 40)), out);
  store.commit(out, indicators::indicator_set::algorithm_version);
  require_same_rows(whole, store, "A");
}

TEST_CASE("the cache shrinks after each commit while later ones are in flight, never evicting "
          "their symbols") {
  // During a backlog a commit is almost always in flight: the bound must hold then too.
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store, 2};
  auto bars = walk(10000, 60, 2);
  pending_output first, second;
  for (const char* s : {"A", "B", "C"})
    proc.process(batch_of(s, slice(bars, 0, 30)), first);
  const auto g1 = proc.seal();
  for (const char* s : {"D", "E"})
    proc.process(batch_of(s, slice(bars, 0, 30)), second);
  const auto g2 = proc.seal();
  CHECK(g2 > g1);
  CHECK(proc.cached_symbols() == 5);
  store.commit(first, indicators::indicator_set::algorithm_version);
  proc.committed(g1); // the second commit is still in flight
  CHECK(proc.cached_symbols() == 2); // A, B and C went; D and E (uncommitted) stayed
  // D goes on from memory (its state is not in the store yet), A from its checkpoint.
  pending_output third;
  proc.process(batch_of("D", slice(bars, 30, 60)), third);
  proc.process(batch_of("A", slice(bars, 30, 60)), third);
  const auto g3 = proc.seal();
  store.commit(second, indicators::indicator_set::algorithm_version);
  proc.committed(g2);
  CHECK(proc.cached_symbols() == 2); // E went; D and A are in the third commit
  store.commit(third, indicators::indicator_set::algorithm_version);
  proc.committed(g3);
  CHECK(proc.cached_symbols() == 2);
  test::memory_history_store whole;
  run(whole, {batch_of("A", bars), batch_of("D", bars)});
  require_same_rows(whole, store, "A");
  require_same_rows(whole, store, "D");
}

TEST_CASE("a task completes only through the date its source vouched for") {
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  auto b = batch_of("AAPL", walk(10000, 10, 2));
  b.to = 10010;
  b.complete_through = 10009;
  pending_output out;
  proc.process(b, out);
  REQUIRE(out.outcomes.size() == 1);
  CHECK(out.outcomes[0].to == 10009);
}

TEST_CASE("preloading restores many symbols at once and changes no result") {
  auto bars = walk(10000, 60, 4);
  test::memory_history_store whole, restored;
  run(whole, {batch_of("A", bars), batch_of("B", bars)});
  run(restored, {batch_of("A", slice(bars, 0, 30)), batch_of("B", slice(bars, 0, 30))});
  struct counting : test::memory_history_store {
    int single = 0, batched = 0;
    std::optional<stored_checkpoint> load_checkpoint(const std::string& s) override {
      ++single;
      return memory_history_store::load_checkpoint(s);
    }
    std::unordered_map<std::string, stored_checkpoint>
    load_checkpoints(const std::vector<std::string>& symbols) override {
      ++batched;
      std::unordered_map<std::string, stored_checkpoint> out;
      for (const auto& s : symbols)
        if (auto cp = memory_history_store::load_checkpoint(s)) out.emplace(s, *cp);
      return out;
    }
  } store;
  store.rows = restored.rows;
  store.checkpoints = restored.checkpoints;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  proc.preload({"A", "B", "A", "C"});
  CHECK(store.batched == 1);
  pending_output out;
  proc.process(batch_of("A", slice(bars, 30, 60)), out);
  proc.process(batch_of("B", slice(bars, 30, 60)), out);
  CHECK(store.single == 0);
  store.commit(out, indicators::indicator_set::algorithm_version);
  require_same_rows(whole, store, "A");
  require_same_rows(whole, store, "B");
}

TEST_CASE("the revision window: unchanged sessions are dropped, a revised one restarts there") {
  auto bars = walk(10000, 200, 21);
  // The source first reported session 197 with a preliminary volume and close.
  auto preliminary = slice(bars, 0, 198);
  preliminary[197].volume /= 3;
  preliminary[197].close *= 1.01;
  // Fresh run on the revised data: the reference.
  test::memory_history_store fresh, daily;
  run(fresh, {batch_of("PRE", bars)});
  // Day 1 with the preliminary bar, day 2 (a restarted process: the window comes from the stored
  // checkpoint) re-fetching the last five sessions plus two new ones.
  run(daily, {batch_of("PRE", preliminary)});
  symbol_processor proc{indicators::indicator_set::default_set(), daily};
  pending_output out;
  proc.process(batch_of("PRE", slice(bars, 193, 200)), out);
  // Four unchanged sessions dropped; the revised one and the two new ones emitted, nothing older.
  CHECK(proc.stats().duplicates == 4);
  CHECK(proc.stats().revisions == 1);
  CHECK(proc.stats().revised_bars == 1);
  CHECK(proc.stats().recomputes == 0);
  REQUIRE(out.rows.size() == 3);
  CHECK(out.rows.front().b.date == 10197);
  daily.commit(out, indicators::indicator_set::algorithm_version);
  require_same_rows(fresh, daily, "PRE");
  // The same re-fetch again changes nothing.
  out.clear();
  proc.process(batch_of("PRE", slice(bars, 195, 200)), out);
  CHECK(out.rows.empty());
  CHECK(proc.stats().revisions == 1);
}

TEST_CASE("the revision window keeps the state before each of the last sessions") {
  auto bars = walk(10000, 50, 22);
  test::memory_history_store store;
  run(store, {batch_of("RING", slice(bars, 0, 30)), batch_of("RING", slice(bars, 30, 32))});
  auto cp = symbol_checkpoint::decode(store.checkpoints.at("RING").bytes);
  REQUIRE(cp.window.size() == 5);
  for (std::size_t i = 0; i < 5; ++i)
    CHECK(cp.window[i].b == bars[27 + i]);
  // Each entry is the state a fresh computation has just before that session.
  for (std::size_t i = 0; i < 5; ++i) {
    auto set = indicators::indicator_set::default_set();
    std::vector<double> values(set.output_count());
    for (std::size_t j = 0; j < 27 + i; ++j)
      set.update(bars[j], values.data());
    CHECK(set.save() == cp.window[i].state_before);
  }
  // A window of 0 keeps nothing, and then re-fetched sessions are plain duplicates.
  test::memory_history_store off;
  symbol_processor proc{indicators::indicator_set::default_set(), off, 100000, 0};
  pending_output out;
  proc.process(batch_of("RING", slice(bars, 0, 30)), out);
  off.commit(out, indicators::indicator_set::algorithm_version);
  CHECK(symbol_checkpoint::decode(off.checkpoints.at("RING").bytes).window.empty());
  auto changed = slice(bars, 28, 30);
  changed[1].volume += 1;
  out.clear();
  proc.process(batch_of("RING", changed), out);
  CHECK(out.rows.empty());
  CHECK(proc.stats().duplicates == 2);
}

TEST_CASE("a revision restarts from the earliest revised session and older corrections are ignored") {
  auto bars = walk(10000, 120, 23);
  auto first = slice(bars, 0, 115);
  first[112].high *= 1.02; // in the window at the next fetch
  first[110].open *= 0.98; // in the window too, earlier
  first[60].volume += 7;   // long outside the window: stays as first reported
  test::memory_history_store daily;
  run(daily, {batch_of("OLD", first)});
  symbol_processor proc{indicators::indicator_set::default_set(), daily};
  pending_output out;
  proc.process(batch_of("OLD", slice(bars, 50, 120)), out);
  CHECK(proc.stats().revisions == 1);
  CHECK(proc.stats().revised_bars == 2);
  REQUIRE(out.rows.size() == 10); // sessions 110..119
  CHECK(out.rows.front().b.date == 10110);
  daily.commit(out, indicators::indicator_set::algorithm_version);
  // Equal to a fresh run on what the source reports now, except for the correction of session 60
  // that came after its window had passed.
  auto expected_input = bars;
  expected_input[60] = first[60];
  test::memory_history_store fresh;
  run(fresh, {batch_of("OLD", expected_input)});
  require_same_rows(fresh, daily, "OLD");
}

TEST_CASE("a session missing from the window until now is inserted and the rest recomputed") {
  auto bars = walk(10000, 80, 24);
  auto gappy = slice(bars, 0, 78);
  gappy.erase(gappy.begin() + 76); // the source skipped session 76 at first
  test::memory_history_store daily, fresh;
  run(daily, {batch_of("GAP", gappy)});
  run(daily, {batch_of("GAP", slice(bars, 73, 80))}, {0});
  run(fresh, {batch_of("GAP", bars)});
  require_same_rows(fresh, daily, "GAP");
}

TEST_CASE("a late fetch of an older task never revises what a newer one stored") {
  // Task 1 (planned at 100) expired while its agent was slow; task 2 (planned at 200) fetched the
  // same days later, with the source's corrected volumes of the last three sessions. Task 1's
  // bars, published after task 2's, must not put the old volumes back.
  auto bars = walk(10000, 100, 31);
  auto revised = bars;
  for (std::size_t i = 97; i < 100; ++i)
    revised[i].volume += 1000 * static_cast<std::int64_t>(i);
  auto first = batch_of("LATE", slice(bars, 0, 97));
  first.generation = 50;
  auto newer = batch_of("LATE", slice(revised, 90, 100));
  newer.generation = 200;
  auto older = batch_of("LATE", slice(bars, 90, 100));
  older.generation = 100;
  test::memory_history_store expected, late, in_order;
  run(expected, {batch_of("LATE", revised)});
  run(late, {first, older, newer}, {2}); // published in planning order: the newer one revises
  require_same_rows(expected, late, "LATE");
  run(in_order, {first, newer, older}, {2}); // the older one last (after a restart, too)
  require_same_rows(expected, in_order, "LATE");
  CHECK(symbol_checkpoint::decode(in_order.checkpoints.at("LATE").bytes).generation == 200);
  // An older fetch still adds the sessions the symbol lacks.
  auto more = batch_of("LATE", walk(10000, 103, 31));
  more.bars.erase(more.bars.begin(), more.bars.begin() + 90);
  more.generation = 150;
  run(in_order, {more});
  CHECK(in_order.rows.at("LATE").size() == 103);
  CHECK(in_order.rows.at("LATE").at(10099).b.volume == revised[99].volume);
}

TEST_CASE("an unchanged session with a NaN adjusted close is not a revision") {
  auto bars = walk(10000, 40, 25);
  for (auto& b : bars)
    b.adj_close = std::numeric_limits<double>::quiet_NaN();
  test::memory_history_store store;
  symbol_processor proc{indicators::indicator_set::default_set(), store};
  pending_output out;
  proc.process(batch_of("NAN", slice(bars, 0, 38)), out);
  out.clear();
  proc.process(batch_of("NAN", slice(bars, 33, 40)), out);
  CHECK(proc.stats().revisions == 0);
  CHECK(out.rows.size() == 2);
}

TEST_CASE("an indicator added to the set is filled alone over the stored bars: the table then "
          "equals a fresh run of the new set, the other columns untouched") {
  auto bars = walk(10000, 500, 21);
  const auto old_set = indicators::indicator_set::default_set();
  const auto new_set = indicators::indicator_set::parse(std::string{old_set.spec()} + ",sma(200)");
  test::memory_history_store store, fresh;
  {
    symbol_processor proc{old_set, store, 100000, 5, 1};
    for (auto [from, to] : {std::pair<std::size_t, std::size_t>{0, 150}, {150, 300}, {300, 400}}) {
      pending_output out;
      proc.process(batch_of("AAPL", slice(bars, from, to)), out);
      store.commit(out, indicators::indicator_set::algorithm_version);
      proc.committed();
    }
  }
  const auto before = store.cells;
  symbol_processor proc{new_set, store, 100000, 5, 2};
  CHECK(proc.columns().back() == "sma_200");
  {
    // The symbol gets no new bars: filled on its own.
    pending_output out;
    REQUIRE(proc.fill("AAPL", out));
    CHECK(out.set_version == 2);
    REQUIRE(out.fills.size() == 1);
    CHECK(out.fills[0].columns == std::vector<std::string>{"sma_200"});
    CHECK(out.fills[0].rows.size() == 400);
    CHECK(out.rows.empty());
    store.commit(out, indicators::indicator_set::algorithm_version);
    proc.committed();
  }
  // New bars, and a revision of the last stored session (the window's states gained sma(200)).
  auto revised = slice(bars, 399, 500);
  revised[0].close *= 1.01;
  revised[0].high = std::max(revised[0].high, revised[0].close);
  for (auto b : {batch_of("AAPL", revised)}) {
    pending_output out;
    proc.process(b, out);
    CHECK(out.fills.empty());
    store.commit(out, indicators::indicator_set::algorithm_version);
    proc.committed();
  }
  CHECK(proc.stats().fills == 1);
  CHECK(proc.stats().recomputes == 0);
  CHECK(proc.stats().revisions == 1);
  {
    auto all = slice(bars, 0, 500);
    all[399] = revised[0];
    symbol_processor ref{new_set, fresh};
    pending_output out;
    ref.process(batch_of("AAPL", all), out);
    fresh.commit(out, indicators::indicator_set::algorithm_version);
  }
  const auto& got = store.cells.at("AAPL");
  const auto& want = fresh.cells.at("AAPL");
  REQUIRE(got.size() == want.size());
  for (const auto& [date, cols] : want) {
    INFO(format_date(date));
    REQUIRE(got.at(date).size() == cols.size());
    for (const auto& [col, v] : cols) {
      INFO(col);
      REQUIRE(same_bits(got.at(date).at(col), v));
    }
  }
  // The fill wrote only sma_200: every other value of the sessions before the revised one is the
  // one stored before.
  for (const auto& [date, cols] : before.at("AAPL")) {
    if (date >= bars[399].date) continue;
    for (const auto& [col, v] : cols)
      REQUIRE(same_bits(got.at(date).at(col), v));
  }
}

TEST_CASE("a removed indicator stops being computed, the others continue from their state") {
  auto bars = walk(10000, 300, 5);
  const auto two = indicators::indicator_set::parse("rsi(14),sma(50)");
  const auto one = indicators::indicator_set::parse("rsi(14)");
  test::memory_history_store store, fresh;
  {
    symbol_processor proc{two, store, 100000, 5, 1};
    pending_output out;
    proc.process(batch_of("X", slice(bars, 0, 200)), out);
    store.commit(out, indicators::indicator_set::algorithm_version);
  }
  symbol_processor proc{one, store, 100000, 5, 2};
  pending_output out;
  REQUIRE_FALSE(proc.needs_history(batch_of("X", slice(bars, 200, 300))));
  proc.process(batch_of("X", slice(bars, 200, 300)), out);
  CHECK(out.columns == std::vector<std::string>{"rsi"});
  CHECK(out.fills.empty());
  CHECK(proc.stats().recomputes == 0);
  store.commit(out, indicators::indicator_set::algorithm_version);
  symbol_processor ref{one, fresh};
  pending_output all;
  ref.process(batch_of("X", slice(bars, 0, 300)), all);
  fresh.commit(all, indicators::indicator_set::algorithm_version);
  for (const auto& [date, cols] : fresh.cells.at("X"))
    REQUIRE(same_bits(store.cells.at("X").at(date).at("rsi"), cols.at("rsi")));
  // sma_50 keeps the values stored before the removal, none after it.
  CHECK(store.cells.at("X").at(bars[199].date).count("sma_50") == 1);
  CHECK(store.cells.at("X").at(bars[250].date).count("sma_50") == 0);
}
