// Tests of the synthetic source: determinism, range independence, split semantics, realism.
#include "sources/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <catch2/catch.hpp>

#include "core/symbol.hpp"

using namespace finstream;

namespace {

day_t d(const char* text) {
  return *parse_date(text);
}

bar_series ok(const fetch_result& r) {
  if (auto* e = std::get_if<fetch_error>(&r)) FAIL("fetch failed: " << e->reason);
  return std::get<bar_series>(r);
}

/// First synthetic symbol whose raw path has a split inside [from, to].
std::string symbol_with_split(day_t from, day_t to, split_event* found = nullptr) {
  synthetic_source src;
  for (const auto& s : synthetic_symbols(2000)) {
    for (const auto& sp : src.raw(s, to).splits)
      if (sp.date > from && sp.date <= to) {
        if (found) *found = sp;
        return s;
      }
  }
  FAIL("no synthetic symbol with a split in range");
  return {};
}

} // namespace

TEST_CASE("synthetic: same symbol and range give the same bars in any instance", "[synthetic]") {
  synthetic_source a, b;
  auto x = ok(a.fetch("AAPL", d("2000-01-01"), d("2020-12-31")));
  ok(b.fetch("MSFT", d("2000-01-01"), d("2020-12-31"))); // b's cache holds another symbol first
  auto y = ok(b.fetch("AAPL", d("2000-01-01"), d("2020-12-31")));
  REQUIRE(x.bars.size() > 5000);
  CHECK(x.bars == y.bars);
  CHECK(x.symbol == "AAPL");
  CHECK(x.meta.timezone == "America/New_York");
  auto other = ok(a.fetch("MSFT", d("2000-01-01"), d("2020-12-31")));
  CHECK(other.bars.front() != x.bars.front());
}

TEST_CASE("synthetic: a bar does not depend on the range asked (same end date)", "[synthetic]") {
  synthetic_source a, b;
  const day_t to = d("2019-06-28");
  auto full = ok(a.fetch("S00042", synthetic_source::first_day, to));
  auto part = ok(b.fetch("S00042", d("2019-01-01"), to));
  auto first = std::find_if(full.bars.begin(), full.bars.end(),
                            [&](const bar& x) { return x.date >= d("2019-01-01"); });
  CHECK(std::vector<bar>(first, full.bars.end()) == part.bars);
  CHECK(full.bars.front().date == synthetic_source::first_day); // 1980-01-01 was a Tuesday
}

TEST_CASE("synthetic: history adjusted with apply_split equals one fetch, bit for bit",
          "[synthetic]") {
  // Fetch day by day like an agent following the market; adjust what is stored whenever a fetch
  // reports a split, the way the processor does. The result must equal one fetch of the range.
  const day_t from = d("1995-01-02"), to = d("2005-12-30");
  split_event sp;
  const std::string sym = symbol_with_split(from, to, &sp);
  INFO(sym << " split " << format_date(sp.date) << " " << sp.numerator << ":" << sp.denominator);
  synthetic_source daily, once;
  std::vector<bar> stored;
  std::size_t splits_seen = 0;
  for (day_t day = from; day <= to; day += 7) {
    auto r = ok(daily.fetch(sym, day, std::min<day_t>(day + 6, to)));
    for (const auto& s : r.splits) {
      ++splits_seen;
      for (auto& b : stored)
        if (b.date < s.date) apply_split(b, s);
    }
    stored.insert(stored.end(), r.bars.begin(), r.bars.end());
  }
  auto whole = ok(once.fetch(sym, from, to));
  CHECK(splits_seen == whole.splits.size());
  CHECK(splits_seen >= 1);
  REQUIRE(stored.size() == whole.bars.size());
  CHECK(stored == whole.bars);
}

TEST_CASE("synthetic: split semantics like Yahoo", "[synthetic]") {
  const day_t from = d("1990-01-01"), to = d("2010-12-31");
  split_event sp;
  const std::string sym = symbol_with_split(from, to, &sp);
  synthetic_source src;
  const auto raw = src.raw(sym, to).bars; // copy: the cache may grow
  // Ending the range before the split: raw prices. Ending it on/after: divided by the ratio.
  auto before = ok(src.fetch(sym, sp.date - 30, sp.date - 1));
  auto after = ok(src.fetch(sym, sp.date - 30, sp.date + 30));
  REQUIRE_FALSE(before.bars.empty());
  CHECK(before.splits.empty());
  REQUIRE(after.splits.size() >= 1);
  CHECK(after.splits.front().date == sp.date);
  const bar& pre = before.bars.back();
  const bar& pre_adj = *std::find_if(after.bars.begin(), after.bars.end(),
                                     [&](const bar& b) { return b.date == pre.date; });
  const auto raw_pre =
      *std::find_if(raw.begin(), raw.end(), [&](const bar& b) { return b.date == pre.date; });
  CHECK(pre == raw_pre);
  bar expect = raw_pre;
  for (const auto& s : after.splits)
    if (s.date > expect.date) apply_split(expect, s);
  CHECK(pre_adj == expect);
  CHECK(pre_adj.close == Approx(pre.close / (sp.numerator / sp.denominator)).epsilon(1e-12));
  // The bar of the split day is already post-split: not adjusted for it.
  const bar& split_day = *std::find_if(after.bars.begin(), after.bars.end(),
                                       [&](const bar& b) { return b.date >= sp.date; });
  const auto raw_split_day =
      *std::find_if(raw.begin(), raw.end(), [&](const bar& b) { return b.date == split_day.date; });
  if (after.splits.size() == 1) CHECK(split_day == raw_split_day);
}

TEST_CASE("synthetic: realistic, consistent bars over 30 years", "[synthetic]") {
  synthetic_source src;
  const day_t from = d("1994-01-01"), to = d("2023-12-31");
  std::set<std::pair<double, double>> ratios;
  std::size_t splits = 0;
  for (const auto& sym : synthetic_symbols(40)) {
    auto s = ok(src.fetch(sym, from, to));
    REQUIRE(s.bars.size() > 7500);
    double sum = 0, sum2 = 0;
    std::vector<std::int64_t> volumes;
    for (std::size_t i = 0; i < s.bars.size(); ++i) {
      const bar& b = s.bars[i];
      CHECK(weekday(b.date) != 0);
      CHECK(weekday(b.date) != 6);
      if (i) CHECK(b.date > s.bars[i - 1].date);
      REQUIRE(b.high >= std::max(b.open, b.close));
      REQUIRE(b.low <= std::min(b.open, b.close));
      REQUIRE(b.low > 0);
      REQUIRE(b.volume > 0);
      CHECK(b.adj_close == b.close);
      if (i) {
        const double r = std::log(b.close / s.bars[i - 1].close);
        sum += r;
        sum2 += r * r;
      }
    }
    const double n = static_cast<double>(s.bars.size() - 1);
    const double vol = std::sqrt(sum2 / n - (sum / n) * (sum / n));
    INFO(sym << " daily vol " << vol);
    CHECK(vol > 0.008);
    CHECK(vol < 0.04);
    // Traded (unadjusted) volume: split adjustment multiplies old volumes, as on Yahoo.
    for (const auto& b : src.raw(sym, to).bars)
      volumes.push_back(b.volume);
    std::nth_element(volumes.begin(), volumes.begin() + volumes.size() / 2, volumes.end());
    CHECK(volumes[volumes.size() / 2] > 100000);
    CHECK(volumes[volumes.size() / 2] < 100000000);
    for (const auto& sp : s.splits)
      ratios.insert({sp.numerator, sp.denominator});
    splits += s.splits.size();
  }
  CHECK(splits > 0);
  for (const auto& r : ratios) {
    INFO(r.first << ":" << r.second);
    CHECK((r == std::pair<double, double>{2, 1} || r == std::pair<double, double>{3, 1} ||
           r == std::pair<double, double>{3, 2} || r == std::pair<double, double>{4, 1} ||
           r == std::pair<double, double>{1, 4}));
  }
}

TEST_CASE("synthetic: only closed sessions, nothing before 1980, bad ranges", "[synthetic]") {
  synthetic_source src;
  auto s = ok(src.fetch("ZZZ", today_utc() - 20, today_utc() + 10));
  for (const auto& b : s.bars)
    CHECK(b.date < today_utc());
  CHECK(ok(src.fetch("ZZZ", d("1970-01-01"), d("1979-12-31"))).bars.empty());
  auto e = src.fetch("ZZZ", d("2020-01-02"), d("2020-01-01"));
  REQUIRE(std::holds_alternative<fetch_error>(e));
  CHECK(std::get<fetch_error>(e).kind == fetch_error_kind::bad_request);
}

TEST_CASE("synthetic_symbols: distinct valid symbols", "[synthetic]") {
  auto s = synthetic_symbols(10000);
  CHECK(s.size() == 10000);
  CHECK(std::set<std::string>(s.begin(), s.end()).size() == 10000);
  for (const auto& x : s)
    REQUIRE(is_valid_symbol(x));
  CHECK(s.front() == "S00000");
  CHECK(synthetic_symbols(200000).back() == "S199999");
}

TEST_CASE("synthetic: the range is final only through yesterday (UTC)") {
  finstream::synthetic_source src;
  auto today = finstream::today_utc();
  auto r = src.fetch("AAPL", today - 30, today + 5);
  auto& s = std::get<finstream::bar_series>(r);
  CHECK(s.complete_through == today - 1);
  for (const auto& b : s.bars)
    CHECK(b.date < today);
  auto past = std::get<finstream::bar_series>(src.fetch("AAPL", today - 30, today - 10));
  CHECK(past.complete_through == today - 10);
}
