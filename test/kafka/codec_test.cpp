// Tests of the Kafka JSON codec: bit-exact round trips, every rejection rule, and garbled input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/symbol.hpp"
#include "kafka/codec.hpp"

using namespace finstream;
using namespace finstream::kafka;

namespace {

std::uint64_t bits(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

double from_bits(std::uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

/// A random positive finite double over the whole range (denormals included).
double random_positive(std::mt19937_64& rng) {
  for (;;) {
    double d = from_bits(rng() & 0x7fffffffffffffffULL);
    if (std::isfinite(d) && d > 0) return d;
  }
}

bar_batch sample_batch() {
  bar_batch b;
  b.task_id = "AAPL:2020-01-01:2020-12-31:7";
  b.symbol = "AAPL";
  b.from = *parse_date("2020-01-01");
  b.to = *parse_date("2020-12-31");
  b.seq = 3;
  b.last = false;
  day_t d = *parse_date("2020-01-02");
  for (int i = 0; i < 5; ++i) {
    bar x;
    x.date = d + i;
    x.open = 100.25 + i;
    x.high = 101.5 + i;
    x.low = 99.125 + i;
    x.close = 100.0 + i;
    x.adj_close = 98.76543210987654 + i;
    x.volume = 1000000 + i;
    b.bars.push_back(x);
  }
  b.splits.push_back({*parse_date("2020-08-31"), 4, 1});
  b.dividends.push_back({*parse_date("2020-08-07"), 0.82});
  return b;
}

void require_same(const bar_batch& a, const bar_batch& b) {
  REQUIRE(a.task_id == b.task_id);
  REQUIRE(a.symbol == b.symbol);
  REQUIRE(a.from == b.from);
  REQUIRE(a.to == b.to);
  REQUIRE(a.seq == b.seq);
  REQUIRE(a.last == b.last);
  REQUIRE(a.error == b.error);
  REQUIRE(a.permanent == b.permanent);
  REQUIRE(a.throttled == b.throttled);
  REQUIRE(a.generation == b.generation);
  REQUIRE(a.bars.size() == b.bars.size());
  for (std::size_t i = 0; i < a.bars.size(); ++i) {
    INFO("bar " << i);
    REQUIRE(a.bars[i].date == b.bars[i].date);
    REQUIRE(bits(a.bars[i].open) == bits(b.bars[i].open));
    REQUIRE(bits(a.bars[i].high) == bits(b.bars[i].high));
    REQUIRE(bits(a.bars[i].low) == bits(b.bars[i].low));
    REQUIRE(bits(a.bars[i].close) == bits(b.bars[i].close));
    REQUIRE(bits(a.bars[i].adj_close) == bits(b.bars[i].adj_close));
    REQUIRE(a.bars[i].volume == b.bars[i].volume);
  }
  REQUIRE(a.splits.size() == b.splits.size());
  for (std::size_t i = 0; i < a.splits.size(); ++i) {
    REQUIRE(a.splits[i].date == b.splits[i].date);
    REQUIRE(bits(a.splits[i].numerator) == bits(b.splits[i].numerator));
    REQUIRE(bits(a.splits[i].denominator) == bits(b.splits[i].denominator));
  }
  REQUIRE(a.dividends.size() == b.dividends.size());
  for (std::size_t i = 0; i < a.dividends.size(); ++i) {
    REQUIRE(a.dividends[i].date == b.dividends[i].date);
    REQUIRE(bits(a.dividends[i].amount) == bits(b.dividends[i].amount));
  }
}

/// Replaces the first occurrence of `from` in `s` (which must occur).
std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

void require_rejected(const std::string& json, const std::string& reason_part) {
  INFO(json);
  auto d = decode_bar_batch(json);
  REQUIRE_FALSE(d.ok());
  INFO(d.error());
  CHECK(d.error().find(reason_part) != std::string::npos);
  CHECK(d.error().find('\n') == std::string::npos);
}

} // namespace

TEST_CASE("fetch_task round-trips, strings escaped") {
  fetch_task t{"id \"quoted\" \\ back\nslash\t\x01 \xc3\xa9t\xc3\xa9", "BRK-B",
               *parse_date("1999-12-31"), *parse_date("2000-03-01")};
  std::string json = encode(t);
  CHECK(json.rfind("{\"v\":1,\"type\":\"fetch_task\"", 0) == 0);
  CHECK(json.find("\"from\":\"1999-12-31\"") != std::string::npos);
  auto d = decode_fetch_task(json);
  REQUIRE(d.ok());
  CHECK(d.value().task_id == t.task_id);
  CHECK(d.value().symbol == t.symbol);
  CHECK(d.value().from == t.from);
  CHECK(d.value().to == t.to);
}

TEST_CASE("the task generation travels in tasks and batches, absent means unknown (0)") {
  fetch_task t{"id", "AAPL", *parse_date("2020-01-02"), *parse_date("2020-12-31"),
               1'796'688'413'551};
  auto dt = decode_fetch_task(encode(t));
  REQUIRE(dt.ok());
  CHECK(dt.value().generation == t.generation);
  bar_batch b = sample_batch();
  b.generation = 1'796'688'413'552;
  auto db = decode_bar_batch(encode(b));
  REQUIRE(db.ok());
  CHECK(db.value().generation == b.generation);
  // Written only when known: a message of an older writer has none and reads as 0.
  t.generation = 0;
  CHECK(encode(t).find("\"gen\"") == std::string::npos);
  CHECK(decode_fetch_task(encode(t)).value().generation == 0);
  auto negative = encode(t);
  negative.insert(negative.size() - 1, ",\"gen\":-5");
  auto bad = decode_fetch_task(negative);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("gen") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in strings is replaced so the message still decodes") {
  fetch_task t{"bad \xff\xfe utf8", "AAPL", 10, 10};
  auto d = decode_fetch_task(encode(t));
  REQUIRE(d.ok());
  CHECK(d.value().task_id == "bad ?? utf8");
}

TEST_CASE("bar_batch round-trips bit-exactly") {
  bar_batch b = sample_batch();
  auto d = decode_bar_batch(encode(b));
  REQUIRE(d.ok());
  require_same(b, d.value());
}

TEST_CASE("random doubles over the whole positive range round-trip bit-exactly") {
  std::mt19937_64 rng(42);
  bar_batch b = sample_batch();
  b.bars.clear();
  const double specials[] = {std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::epsilon(),
                             1.0,
                             0.1,
                             1e15,
                             1e16,
                             123456789012345678.0,
                             18446744073709551616.0, // 2^64
                             3.4028236692093846e+38,
                             1e22,
                             9007199254740993.0};
  day_t day = 0;
  for (double s : specials)
    b.bars.push_back({day++, s, s, s, s, s, 0});
  for (int i = 0; i < 20000; ++i) {
    bar x;
    x.date = day++;
    x.open = random_positive(rng);
    x.high = random_positive(rng);
    x.low = random_positive(rng);
    x.close = std::ldexp(static_cast<double>(rng() % 100000000), -static_cast<int>(rng() % 20));
    if (x.close == 0) x.close = 1;
    x.adj_close = static_cast<double>(rng() % 1000000) / 100.0 + 0.01;
    x.volume = static_cast<std::int64_t>(rng() >> 1);
    b.bars.push_back(x);
  }
  b.bars.push_back({day++, 1, 1, 1, 1, 1, std::numeric_limits<std::int64_t>::max()});
  b.from = 0;
  b.to = day;
  auto d = decode_bar_batch(encode(b));
  REQUIRE(d.ok());
  require_same(b, d.value());
}

TEST_CASE("a failed fetch round-trips with its error and permanence") {
  bar_batch b;
  b.task_id = "t";
  b.symbol = "ZZZZ";
  b.from = 100;
  b.to = 200;
  b.error = "HTTP 404: \"Not Found\"";
  b.permanent = true;
  b.last = true;
  auto d = decode_bar_batch(encode(b));
  REQUIRE(d.ok());
  require_same(b, d.value());
  // A throttled failure carries the flag; without it (older writers) it reads as false.
  b.permanent = false;
  b.throttled = true;
  auto t = decode_bar_batch(encode(b));
  REQUIRE(t.ok());
  require_same(b, t.value());
  CHECK(encode(b).find("\"throttled\":true") != std::string::npos);
  b.throttled = false;
  CHECK(encode(b).find("throttled") == std::string::npos);
}

TEST_CASE("readers accept any field order and ignore unknown fields") {
  std::string json =
      R"({"extra":{"a":[1,2]},"permanent":false,"error":"","dividends":[],"splits":[],)"
      R"("bars":[["2021-01-04",1,2,0.5,1.5,1.4,10]],"last":true,"seq":0,"to":"2021-01-31",)"
      R"("from":"2021-01-01","symbol":"MSFT","task_id":"x","type":"bar_batch","v":1})";
  auto d = decode_bar_batch(json);
  REQUIRE(d.ok());
  CHECK(d.value().bars.size() == 1);
  CHECK(d.value().bars[0].volume == 10);
  CHECK(d.value().bars[0].low == 0.5);
}

TEST_CASE("malformed bar batches are rejected with a one-line reason") {
  const std::string good = encode(sample_batch());
  REQUIRE(decode_bar_batch(good).ok());

  require_rejected("", "invalid JSON");
  require_rejected("{", "invalid JSON");
  require_rejected("[1,2]", "not a JSON object");
  require_rejected("null", "not a JSON object");
  require_rejected(replace(good, "\"v\":1", "\"v\":2"), "unsupported schema version 2");
  require_rejected(replace(good, "\"v\":1", "\"v\":\"1\""), "field 'v' must be an integer");
  require_rejected(replace(good, "\"v\":1,", ""), "missing field 'v'");
  require_rejected(replace(good, "\"type\":\"bar_batch\"", "\"type\":\"fetch_task\""),
                   "expected type 'bar_batch'");
  require_rejected(replace(good, "\"symbol\":\"AAPL\"", "\"symbol\":\"aapl\""), "invalid symbol");
  require_rejected(replace(good, "\"symbol\":\"AAPL\"", "\"symbol\":\"A;DROP TABLE\""),
                   "invalid symbol");
  require_rejected(replace(good, "\"symbol\":\"AAPL\"", "\"symbol\":7"),
                   "field 'symbol' must be a string");
  require_rejected(replace(good, "\"symbol\":\"AAPL\",", ""), "missing field 'symbol'");
  require_rejected(replace(good, "\"from\":\"2020-01-01\"", "\"from\":\"2020-02-30\""),
                   "field 'from' is not a date");
  require_rejected(replace(good, "\"from\":\"2020-01-01\"", "\"from\":\"2021-01-01\""),
                   "is after 'to'");
  require_rejected(replace(good, "\"seq\":3", "\"seq\":-1"), "field 'seq'");
  require_rejected(replace(good, "\"seq\":3", "\"seq\":4294967296"), "field 'seq' is out of range");
  require_rejected(replace(good, "\"last\":false", "\"last\":0"), "field 'last'");
  require_rejected(replace(good, "\"bars\":[", "\"bars\":{}, \"x\":["),
                   "field 'bars' must be an array");
  require_rejected(replace(good, "[\"2020-01-02\",100.25", "[\"2020-01-02\",0"),
                   "bars[0] open must be a finite number > 0");
  require_rejected(replace(good, "[\"2020-01-02\",100.25", "[\"2020-01-02\",-100.25"),
                   "bars[0] open must be a finite number > 0");
  require_rejected(replace(good, "[\"2020-01-02\",100.25", "[\"2020-01-02\",null"),
                   "bars[0] open must be a number");
  require_rejected(replace(good, "[\"2020-01-02\",100.25", "[\"2020-01-02\",\"100.25\""),
                   "bars[0] open must be a number");
  require_rejected(replace(good, "[\"2020-01-02\",100.25", "[\"2020-01-02\",1e999"),
                   "invalid JSON");
  require_rejected(replace(good, ",1000000]", ",-5]"), "bars[0] volume is negative");
  require_rejected(replace(good, ",1000000]", ",1.5]"), "bars[0] volume must be an integer");
  require_rejected(replace(good, ",1000000]", "]"), "bars[0] must have 7 elements");
  require_rejected(replace(good, ",1000000]", ",1000000,1]"), "bars[0] must have 7 elements");
  require_rejected(replace(good, "[\"2020-01-03\"", "[\"2020-01-02\""),
                   "bars[1] date 2020-01-02 is not after the previous bar's 2020-01-02");
  require_rejected(replace(good, "[\"2020-01-03\"", "[\"2019-12-01\""), "is not after");
  require_rejected(replace(good, "[\"2020-01-03\"", "[\"20200103\""), "bars[1] date is not a date");
  require_rejected(replace(good, "[\"2020-08-31\",4,1]", "[\"2020-08-31\",4,0]"),
                   "splits[0] denominator must be a finite number > 0");
  require_rejected(replace(good, "[\"2020-08-07\",0.82]", "[\"2020-08-07\",-0.82]"),
                   "dividends[0] amount must be a finite number >= 0");
  require_rejected(replace(good, "\"error\":\"\"", "\"error\":\"boom\""), "must carry no bars");
  require_rejected(replace(good, "\"permanent\":false", "\"permanent\":\"no\""),
                   "field 'permanent'");
  require_rejected(replace(good, "\"task_id\":\"AAPL", "\"task_id\":\"\xff\xfe"), "invalid JSON");
  require_rejected(good + "x", "invalid JSON");
}

TEST_CASE("a non-finite price encodes to a message that the decoder rejects") {
  bar_batch b = sample_batch();
  b.bars[2].close = std::numeric_limits<double>::quiet_NaN();
  auto d = decode_bar_batch(encode(b));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().find("bars[2] close must be a number") != std::string::npos);
  b.bars[2].close = std::numeric_limits<double>::infinity();
  CHECK_FALSE(decode_bar_batch(encode(b)).ok());
}

TEST_CASE("a broken adjusted close (NaN) travels as null and decodes to NaN") {
  bar_batch b = sample_batch();
  b.bars[1].adj_close = std::nan("");
  const std::string json = encode(b);
  CHECK(json.find(",101,null,1000001]") != std::string::npos);
  auto d = decode_bar_batch(json);
  REQUIRE(d.ok());
  CHECK(std::isnan(d.value().bars[1].adj_close));
  CHECK(d.value().bars[1].close == 101.0);
  CHECK(d.value().bars == b.bars); // bar equality treats two NaN adj_close as the same
  require_rejected(replace(json, ",101,null,1000001]", ",null,null,1000001]"),
                   "bars[1] close must be a number");
}

TEST_CASE("malformed fetch tasks are rejected") {
  const std::string good = encode(fetch_task{"t1", "AAPL", 18000, 18100});
  REQUIRE(decode_fetch_task(good).ok());
  CHECK_FALSE(decode_fetch_task(replace(good, "\"fetch_task\"", "\"bar_batch\"")).ok());
  CHECK_FALSE(decode_fetch_task(replace(good, "\"AAPL\"", "\"\"")).ok());
  CHECK_FALSE(decode_fetch_task(replace(good, ",\"to\":", ",\"until\":")).ok());
  auto d = decode_fetch_task(replace(good, "\"v\":1", "\"v\":0"));
  REQUIRE_FALSE(d.ok());
  CHECK(d.error() == "fetch_task: unsupported schema version 0 (this build reads 1)");
  // A bar batch is not a task.
  CHECK_FALSE(decode_fetch_task(encode(sample_batch())).ok());
}

TEST_CASE("every truncation of a valid message is rejected") {
  const std::string good = encode(sample_batch());
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto d = decode_bar_batch(std::string_view(good.data(), n));
    INFO("prefix length " << n);
    REQUIRE_FALSE(d.ok());
    REQUIRE_FALSE(d.error().empty());
  }
  const std::string task = encode(fetch_task{"t", "MSFT", 1, 2});
  for (std::size_t n = 0; n < task.size(); ++n)
    REQUIRE_FALSE(decode_fetch_task(std::string_view(task.data(), n)).ok());
}

TEST_CASE("garbled messages never crash and what decodes satisfies the invariants") {
  std::mt19937_64 rng(7);
  const std::string good = encode(sample_batch());
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = good;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % s.size();
      switch (rng() % 4) {
      case 0:
        s[pos] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.erase(pos, 1 + rng() % 8);
        break;
      case 2:
        s.insert(pos, 1, "{}[],:\"0-e.9"[rng() % 12]);
        break;
      default:
        s[pos] = static_cast<char>('0' + rng() % 10);
        break;
      }
      if (s.empty()) s = "{";
    }
    auto d = decode_bar_batch(s);
    if (!d.ok()) {
      ++rejected;
      REQUIRE_FALSE(d.error().empty());
      REQUIRE(d.error().find('\n') == std::string::npos);
      continue;
    }
    ++accepted;
    const bar_batch& b = d.value();
    REQUIRE(is_valid_symbol(b.symbol));
    REQUIRE(b.from <= b.to);
    for (std::size_t k = 0; k < b.bars.size(); ++k) {
      for (double p : {b.bars[k].open, b.bars[k].high, b.bars[k].low, b.bars[k].close})
        REQUIRE((std::isfinite(p) && p > 0));
      const double adj = b.bars[k].adj_close;
      REQUIRE((std::isnan(adj) || (std::isfinite(adj) && adj > 0)));
      REQUIRE(b.bars[k].volume >= 0);
      if (k) REQUIRE(b.bars[k].date > b.bars[k - 1].date);
    }
    // What was accepted re-encodes to something that decodes to the same values.
    auto again = decode_bar_batch(encode(b));
    REQUIRE(again.ok());
    require_same(b, again.value());
  }
  CHECK(rejected > 0);
  CHECK(accepted > 0); // digit edits inside prices keep many messages valid
}

TEST_CASE("complete_through round-trips and is optional on input") {
  auto b = sample_batch();
  b.complete_through = b.to - 3;
  auto d = decode_bar_batch(encode(b));
  REQUIRE(d.ok());
  CHECK(d.value().complete_through == b.to - 3);
  std::string json =
      R"({"v":1,"type":"bar_batch","task_id":"x","symbol":"MSFT","from":"2021-01-01",)"
      R"("to":"2021-01-31","seq":0,"last":true,"bars":[],"splits":[],"dividends":[],)"
      R"("error":"","permanent":false})";
  auto old = decode_bar_batch(json);
  REQUIRE(old.ok());
  CHECK(old.value().complete_through == 0);
}
