// Every indicator against TA-Lib's own values, bit for bit (test/data/golden, from
// test/golden/generate.sh), three ways: bar by bar on every bar and output; fed in chunks
// (bit-identical to bar by bar); and saved then restored into a fresh object mid-series
// (bit-identical to an uninterrupted run).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>

#include "golden_data.hpp"
#include "indicators/indicator_set.hpp"
#include "indicators/registry.hpp"

namespace finstream::test {
namespace {

using indicators::indicator_set;
using indicators::indicator_spec;

struct golden_case {
  const golden_entry* entry;
  indicator_spec spec;
};

// Every (golden file, item of its spec) that uses indicator `name`.
std::vector<golden_case> cases_for(const std::string& name) {
  std::vector<golden_case> out;
  for (const auto& e : golden_manifest()) {
    auto set = indicator_set::parse(e.spec);
    for (const auto& item : set.items())
      if (name == item.info->name) out.push_back({&e, item});
  }
  return out;
}

std::string describe(const golden_case& c) {
  return c.entry->input + "." + c.entry->set + " / " + indicator_set({c.spec}).spec();
}

// Outputs of an uninterrupted bar-by-bar run: n rows of k values.
std::vector<double> run_all(const indicator_spec& spec, const input_series& in) {
  indicator_set set({spec});
  const std::size_t k = set.output_count();
  std::vector<double> out(in.bars.size() * k);
  for (std::size_t i = 0; i < in.bars.size(); ++i)
    set.update(in.bars[i], out.data() + i * k);
  return out;
}

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

void check_golden(const std::string& name) {
  auto cases = cases_for(name);
  REQUIRE(!cases.empty());
  std::size_t compared = 0;
  for (const auto& c : cases) {
    INFO(describe(c));
    const auto& in = load_input(c.entry->input);
    const auto& g = load_golden(*c.entry);
    REQUIRE(g.rows.size() == in.bars.size());
    indicator_set set({c.spec});
    const std::size_t k = set.output_count();
    std::vector<int> cols;
    for (const auto& column : set.column_names()) {
      INFO("column " << column);
      REQUIRE(g.find(column) >= 0);
      cols.push_back(g.find(column));
    }
    const auto ours = run_all(c.spec, in);
    std::vector<std::string> mismatches;
    for (std::size_t i = 0; i < in.bars.size(); ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        const double want = g.rows[i][static_cast<std::size_t>(cols[j])];
        const double got = ours[i * k + j];
        if (!std::isnan(want)) ++compared;
        if (!golden_equal(got, want) && mismatches.size() < 5)
          mismatches.push_back(set.column_names()[j] + " at bar " + std::to_string(i) + " (" +
                               g.dates[i] + "): got " + fmt(got) + ", TA-Lib " + fmt(want));
      }
    }
    for (const auto& m : mismatches)
      FAIL_CHECK(m);
    // The first bar with a value is TA-Lib's, and lookback() says which one it is.
    for (std::size_t j = 0; j < k; ++j) {
      std::size_t first = in.bars.size();
      for (std::size_t i = 0; i < in.bars.size(); ++i)
        if (!std::isnan(g.rows[i][static_cast<std::size_t>(cols[j])])) {
          first = i;
          break;
        }
      const auto lb = static_cast<std::size_t>(set.at(0).lookback(j));
      INFO("output " << set.column_names()[j]);
      if (first < in.bars.size())
        CHECK(first == lb);
      else
        CHECK(in.bars.size() <= lb);
    }
  }
  CHECK(compared > 0);
}

void check_chunks(const std::string& name) {
  auto cases = cases_for(name);
  REQUIRE(!cases.empty());
  std::mt19937 rng(42);
  for (const auto& c : cases) {
    INFO(describe(c));
    const auto& in = load_input(c.entry->input);
    const auto whole = run_all(c.spec, in);
    // Through the indicator's own batch update and through the set's, in random chunk sizes.
    auto ind = c.spec.info->make(c.spec.params);
    indicator_set set({c.spec});
    const std::size_t k = set.output_count();
    std::vector<double> a(whole.size()), b(whole.size());
    std::size_t i = 0;
    while (i < in.bars.size()) {
      std::size_t n = std::min<std::size_t>(in.bars.size() - i, 1 + rng() % 40);
      ind->update_many(in.bars.data() + i, n, a.data() + i * k);
      set.update_many(in.bars.data() + i, n, b.data() + i * k);
      i += n;
    }
    std::size_t bad = 0;
    for (std::size_t x = 0; x < whole.size(); ++x)
      bad += !same_bits(a[x], whole[x]) + !same_bits(b[x], whole[x]);
    CHECK(bad == 0);
  }
}

void check_save_restore(const std::string& name) {
  auto cases = cases_for(name);
  REQUIRE(!cases.empty());
  for (const auto& c : cases) {
    INFO(describe(c));
    const auto& in = load_input(c.entry->input);
    const std::size_t n = in.bars.size();
    const auto whole = run_all(c.spec, in);
    indicator_set probe({c.spec});
    const std::size_t k = probe.output_count();
    const auto lb = static_cast<std::size_t>(probe.at(0).lookback());
    std::vector<std::size_t> splits = {0, 1, lb > 0 ? lb - 1 : 0, lb, lb + 1, n / 3, n / 2, n};
    for (std::size_t split : splits) {
      if (split > n) continue;
      INFO("saved after " << split << " bars");
      indicator_set first({c.spec});
      std::vector<double> out(k);
      for (std::size_t i = 0; i < split; ++i)
        first.update(in.bars[i], out.data());
      const std::string bytes = first.save();
      // A fresh object (as in another process) gets only the bytes.
      indicator_set second({c.spec});
      second.restore(bytes);
      CHECK(second.bars_seen() == static_cast<std::int64_t>(split));
      CHECK(second.save() == bytes);
      std::size_t bad = 0;
      for (std::size_t i = split; i < n; ++i) {
        second.update(in.bars[i], out.data());
        for (std::size_t j = 0; j < k; ++j)
          bad += !same_bits(out[j], whole[i * k + j]);
        // Saving does not disturb the saved object either.
        first.update(in.bars[i], out.data());
        for (std::size_t j = 0; j < k; ++j)
          bad += !same_bits(out[j], whole[i * k + j]);
      }
      CHECK(bad == 0);
    }
  }
}

} // namespace

TEST_CASE("golden agreement is bit equality: a zero for a tiny value or one ulp off fails",
          "[indicators][golden]") {
  const double tiny = 1.2345e-9; // an indicator of a sub-cent price series
  CHECK_FALSE(golden_equal(0.0, tiny));
  CHECK_FALSE(golden_equal(std::nextafter(100.0, 200.0), 100.0));
  CHECK_FALSE(golden_equal(-0.0, 0.0));
  CHECK_FALSE(golden_equal(std::nan(""), 1.0));
  CHECK_FALSE(golden_equal(1.0, std::nan("")));
  CHECK(golden_equal(std::nan(""), -std::nan("")));
  CHECK(golden_equal(tiny, 1.2345e-9));
}

// The names GOLDEN_CASES was given (checked against the registry below).
std::vector<std::string>& golden_case_names() {
  static std::vector<std::string> names;
  return names;
}

struct golden_case_registration {
  explicit golden_case_registration(const char* name) { golden_case_names().push_back(name); }
};

// One indicator's three checks, as ctest entries of their own. Every registered indicator needs
// one line below; the test after the list fails when one is missing.
#define GOLDEN_CASES(name)                                                                         \
  const golden_case_registration golden_registered_##name{#name};                                  \
  TEST_CASE(#name " equals TA-Lib on every golden bar and output", "[indicators][golden]") {       \
    check_golden(#name);                                                                           \
  }                                                                                                \
  TEST_CASE(#name " fed in chunks equals bar by bar", "[indicators][chunks]") {                    \
    check_chunks(#name);                                                                           \
  }                                                                                                \
  TEST_CASE(#name " saved and restored mid-series equals an uninterrupted run",                    \
            "[indicators][state]") {                                                               \
    check_save_restore(#name);                                                                     \
  }

GOLDEN_CASES(rsi)
GOLDEN_CASES(macd)
GOLDEN_CASES(sma)
GOLDEN_CASES(ema)
GOLDEN_CASES(bbands)
GOLDEN_CASES(atr)
GOLDEN_CASES(stoch)
GOLDEN_CASES(obv)
GOLDEN_CASES(adx)
GOLDEN_CASES(cci)
GOLDEN_CASES(willr)
GOLDEN_CASES(mfi)
GOLDEN_CASES(mom)
GOLDEN_CASES(roc)
GOLDEN_CASES(wma)
GOLDEN_CASES(aroon)
GOLDEN_CASES(trix)
GOLDEN_CASES(natr)

TEST_CASE("GOLDEN_CASES names every registered indicator once, and nothing else",
          "[indicators][golden]") {
  std::vector<std::string> registered, listed = golden_case_names();
  for (const auto& info : indicators::registry())
    registered.emplace_back(info.name);
  std::sort(registered.begin(), registered.end());
  std::sort(listed.begin(), listed.end());
  CHECK(listed == registered);
}

TEST_CASE("the golden generator (talib_golden.c) knows every registered indicator, with its "
          "parameter count and outputs",
          "[indicators][golden]") {
  // The generator is C built against TA-Lib by generate.sh only; its run() holds one branch per
  // indicator: `!strcmp(name, "<name>")`, NEED(<parameter count>), add_column("<output>", ...).
  std::ifstream in{std::string{FINSTREAM_SOURCE_DIR} + "/test/golden/talib_golden.c"};
  REQUIRE(in);
  const std::string src{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  struct branch {
    int params = -1;
    std::vector<std::string> outputs;
  };
  std::map<std::string, branch> branches;
  const std::string open = "!strcmp(name, \"";
  for (auto pos = src.find(open); pos != std::string::npos; pos = src.find(open, pos)) {
    pos += open.size();
    const auto name = src.substr(pos, src.find('"', pos) - pos);
    const auto body = src.substr(pos, src.find("} else", pos) - pos);
    auto& b = branches[name];
    if (auto need = body.find("NEED("); need != std::string::npos)
      b.params = std::stoi(body.substr(need + 5));
    const std::string add = "add_column(\"";
    for (auto a = body.find(add); a != std::string::npos; a = body.find(add, a)) {
      a += add.size();
      b.outputs.push_back(body.substr(a, body.find('"', a) - a));
    }
  }
  for (const auto& info : indicators::registry()) {
    INFO(info.name);
    auto it = branches.find(info.name);
    REQUIRE(it != branches.end());
    CHECK(it->second.params == static_cast<int>(info.params.size()));
    CHECK(it->second.outputs == std::vector<std::string>(info.outputs.begin(), info.outputs.end()));
  }
  CHECK(branches.size() == indicators::registry().size());
}

TEST_CASE("every registered indicator has golden values with default and other parameters",
          "[indicators][golden]") {
  for (const auto& info : indicators::registry()) {
    INFO(info.name);
    auto cases = cases_for(info.name);
    std::size_t with_defaults = 0, other = 0;
    for (const auto& c : cases) {
      bool defaults = true;
      for (std::size_t i = 0; i < c.spec.params.size(); ++i)
        defaults = defaults && c.spec.params[i] == info.params[i].default_value;
      (defaults ? with_defaults : other) += 1;
    }
    CHECK(with_defaults > 0);
    if (!info.params.empty()) CHECK(other > 0);
  }
}

TEST_CASE("whole sets (fused default layout or not) equal TA-Lib on every golden file",
          "[indicators][golden]") {
  // Sets with the default set's layout (default, alt, min) take indicator_set's fused pass; the
  // others the generic one. Either way every column must equal TA-Lib's.
  std::size_t files = 0, fused_layout = 0;
  for (const auto& e : golden_manifest()) {
    ++files;
    INFO(e.input << "." << e.set);
    auto set = indicator_set::parse(e.spec);
    if (set.output_names() == indicator_set::default_set().output_names()) ++fused_layout;
    const auto& in = load_input(e.input);
    const auto& g = load_golden(e);
    std::vector<double> out(set.output_count());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < in.bars.size(); ++i) {
      set.update(in.bars[i], out.data());
      for (std::size_t j = 0; j < out.size(); ++j)
        bad += !golden_equal(out[j],
                             g.rows[i][static_cast<std::size_t>(g.find(set.column_names()[j]))]);
    }
    CHECK(bad == 0);
  }
  CHECK(files >= 100);
  CHECK(fused_layout >= 40);
}

TEST_CASE("the fused default layout gives bit-identical results to separate indicators",
          "[indicators][golden]") {
  for (const char* spec : {indicator_set::default_spec(),
                           "rsi(2),macd(30,5,2),sma(3),ema(40),bbands(7,0.5),atr(1),stoch(1,1,1),"
                           "obv,adx(2),cci(3),willr(2),mfi(2)"}) {
    INFO(spec);
    const auto& in = load_input("random_walk");
    auto fused = indicator_set::parse(spec);
    std::vector<indicator_set> separate;
    for (const auto& item : fused.items())
      separate.emplace_back(std::vector<indicator_spec>{item});
    std::vector<double> a(fused.output_count()), b(fused.output_count());
    std::size_t bad = 0;
    for (const auto& bar : in.bars) {
      fused.update(bar, a.data());
      std::size_t k = 0;
      for (auto& s : separate) {
        s.update(bar, b.data() + k);
        k += s.output_count();
      }
      for (std::size_t j = 0; j < a.size(); ++j)
        bad += !same_bits(a[j], b[j]);
    }
    CHECK(bad == 0);
  }
}

} // namespace finstream::test
