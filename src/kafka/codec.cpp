// JSON v1 codec of fetch_task / bar_batch (see codec.hpp for the format and what is rejected).
//
// The encoder is hand-written: simdjson 3.0.1 (Debian 12) only parses, and a generic JSON DOM
// builder (e.g. Boost.JSON) would cost an allocation per value on the bars path; the format is a
// fixed, flat shape, so appending text directly is both simple and fast.
#include "kafka/codec.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <simdjson.h>

#include "core/json_text.hpp"
#include "core/symbol.hpp"

namespace finstream::kafka {

namespace {

// -- encoding ----------------------------------------------------------------------------------

void put_raw(std::string& out, std::string_view s) {
  out.append(s.data(), s.size());
}

void put_string(std::string& out, std::string_view s) {
  append_json_string(out, s);
}

void put_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    // JSON has no NaN/Inf; null keeps the document valid and the decoder rejects the field.
    put_raw(out, "null");
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v); // shortest round-trip representation
  bool integral_digits = true;
  for (char* p = buf; p != res.ptr; ++p)
    if (*p == '.' || *p == 'e' || *p == 'E') {
      integral_digits = false;
      break;
    }
  // A long run of digits would be read back as a (possibly 64-bit-overflowing) integer;
  // scientific notation keeps it a double, still shortest round-trip.
  if (integral_digits && res.ptr - buf > 15)
    res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  out.append(buf, res.ptr);
}

template <class Int>
void put_int(std::string& out, Int v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void put_date(std::string& out, day_t d) {
  char buf[10];
  format_date(d, buf);
  out.push_back('"');
  out.append(buf, 10);
  out.push_back('"');
}

void put_header(std::string& out, const char* type, const std::string& task_id,
                const std::string& symbol, day_t from, day_t to) {
  put_raw(out, "{\"v\":");
  put_int(out, codec_version);
  put_raw(out, ",\"type\":\"");
  put_raw(out, type);
  put_raw(out, "\",\"task_id\":");
  put_string(out, task_id);
  put_raw(out, ",\"symbol\":");
  put_string(out, symbol);
  put_raw(out, ",\"from\":");
  put_date(out, from);
  put_raw(out, ",\"to\":");
  put_date(out, to);
}

// -- decoding ----------------------------------------------------------------------------------

/// Thrown inside the decoders only, caught at their top: the one-line reason.
struct bad {
  std::string reason;
};

[[noreturn]] void fail(std::string reason) {
  throw bad{std::move(reason)};
}

/// A short printable excerpt of untrusted text for error messages.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 32) out += "...";
  return out;
}

/// Where a value sits, for error messages; formatted only when something is wrong (the bars path
/// builds no strings).
struct where {
  const char* array = nullptr; // null: a top-level field
  std::size_t index = 0;
  const char* name = "";

  std::string str() const {
    if (!array) return std::string{"field '"} + name + "'";
    std::string s = std::string{array} + "[" + std::to_string(index) + "]";
    if (*name) s += std::string{" "} + name;
    return s;
  }
  where at(const char* n) const { return {array, index, n}; }
};

where top(const char* name) {
  return {nullptr, 0, name};
}

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

element field(const object& obj, const char* key) {
  element e;
  if (obj[key].get(e)) fail(std::string{"missing field '"} + key + "'");
  return e;
}

std::string_view as_string(const element& e, const where& w) {
  std::string_view s;
  if (e.get_string().get(s)) fail(w.str() + " must be a string");
  return s;
}

double as_double(const element& e, const where& w) {
  double d;
  if (e.get_double().get(d)) fail(w.str() + " must be a number");
  return d;
}

std::int64_t as_int64(const element& e, const where& w) {
  std::int64_t v;
  if (e.get_int64().get(v)) fail(w.str() + " must be an integer");
  return v;
}

bool as_bool(const element& e, const where& w) {
  bool b;
  if (e.get_bool().get(b)) fail(w.str() + " must be true or false");
  return b;
}

array as_array(const element& e, const where& w) {
  array a;
  if (e.get_array().get(a)) fail(w.str() + " must be an array");
  return a;
}

day_t as_date(const element& e, const where& w) {
  std::string_view s = as_string(e, w);
  auto d = parse_date(s);
  if (!d) fail(w.str() + " is not a date YYYY-MM-DD: '" + excerpt(s) + "'");
  return *d;
}

double positive(const element& e, const where& w) {
  double d = as_double(e, w);
  if (!std::isfinite(d) || !(d > 0)) fail(w.str() + " must be a finite number > 0");
  return d;
}

/// Reads the elements of a fixed-size JSON array into `out` (exactly N of them).
template <std::size_t N>
void tuple_of(const element& e, const where& w, element (&out)[N]) {
  array a = as_array(e, w);
  std::size_t n = 0;
  for (element x : a) {
    if (n == N) fail(w.str() + " must have " + std::to_string(N) + " elements");
    out[n++] = x;
  }
  if (n != N) fail(w.str() + " must have " + std::to_string(N) + " elements");
}

/// Parses the document and checks the envelope ("v" and "type"); returns the root object.
object open(simdjson::dom::parser& parser, std::string_view json, const char* type) {
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root))
    fail(std::string{"invalid JSON: "} + simdjson::error_message(err));
  object obj;
  if (root.get_object().get(obj)) fail("message is not a JSON object");
  std::int64_t v = as_int64(field(obj, "v"), top("v"));
  if (v != codec_version)
    fail("unsupported schema version " + std::to_string(v) + " (this build reads " +
         std::to_string(codec_version) + ")");
  std::string_view t = as_string(field(obj, "type"), top("type"));
  if (t != type) fail(std::string{"expected type '"} + type + "', got '" + excerpt(t) + "'");
  return obj;
}

struct common_fields {
  std::string task_id;
  std::string symbol;
  day_t from = 0;
  day_t to = 0;
};

common_fields read_common(const object& obj) {
  common_fields c;
  c.task_id = std::string{as_string(field(obj, "task_id"), top("task_id"))};
  std::string_view sym = as_string(field(obj, "symbol"), top("symbol"));
  if (auto why = symbol_error(sym)) fail("invalid symbol: " + *why);
  c.symbol = std::string{sym};
  c.from = as_date(field(obj, "from"), top("from"));
  c.to = as_date(field(obj, "to"), top("to"));
  if (c.from > c.to)
    fail("field 'from' (" + format_date(c.from) + ") is after 'to' (" + format_date(c.to) + ")");
  return c;
}

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

} // namespace

namespace {

// Optional in version 1 (written only when known): readers without it ignore it, and a message
// without it decodes as generation 0 (unknown: never treated as older).
void put_generation(std::string& out, std::int64_t generation) {
  if (generation == 0) return;
  put_raw(out, ",\"gen\":");
  put_int(out, generation);
}

std::int64_t read_generation(const object& obj) {
  element g;
  if (obj["gen"].get(g)) return 0;
  const auto v = as_int64(g, top("gen"));
  if (v < 0) fail("field 'gen' is negative");
  return v;
}

} // namespace

void encode(const fetch_task& t, std::string& out) {
  put_header(out, "fetch_task", t.task_id, t.symbol, t.from, t.to);
  put_generation(out, t.generation);
  out.push_back('}');
}

void encode(const bar_batch& b, std::string& out) {
  out.reserve(out.size() + 256 + b.bars.size() * 96);
  put_header(out, "bar_batch", b.task_id, b.symbol, b.from, b.to);
  put_raw(out, ",\"seq\":");
  put_int(out, b.seq);
  put_raw(out, b.last ? ",\"last\":true" : ",\"last\":false");
  put_generation(out, b.generation);
  put_raw(out, ",\"through\":");
  put_date(out, b.complete_through);
  put_raw(out, ",\"bars\":[");
  for (std::size_t i = 0; i < b.bars.size(); ++i) {
    const bar& x = b.bars[i];
    if (i) out.push_back(',');
    out.push_back('[');
    put_date(out, x.date);
    for (double v : {x.open, x.high, x.low, x.close, x.adj_close}) {
      out.push_back(',');
      put_double(out, v);
    }
    out.push_back(',');
    put_int(out, x.volume);
    out.push_back(']');
  }
  put_raw(out, "],\"splits\":[");
  for (std::size_t i = 0; i < b.splits.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    put_date(out, b.splits[i].date);
    out.push_back(',');
    put_double(out, b.splits[i].numerator);
    out.push_back(',');
    put_double(out, b.splits[i].denominator);
    out.push_back(']');
  }
  put_raw(out, "],\"dividends\":[");
  for (std::size_t i = 0; i < b.dividends.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    put_date(out, b.dividends[i].date);
    out.push_back(',');
    put_double(out, b.dividends[i].amount);
    out.push_back(']');
  }
  put_raw(out, "],\"error\":");
  put_string(out, b.error);
  put_raw(out, b.permanent ? ",\"permanent\":true" : ",\"permanent\":false");
  // Only when set: readers of the first v1 documents (without the field) stay compatible.
  put_raw(out, b.throttled ? ",\"throttled\":true}" : "}");
}

decoded<fetch_task> decode_fetch_task(std::string_view json) {
  try {
    object obj = open(thread_parser(), json, "fetch_task");
    common_fields c = read_common(obj);
    fetch_task t;
    t.task_id = std::move(c.task_id);
    t.symbol = std::move(c.symbol);
    t.from = c.from;
    t.to = c.to;
    t.generation = read_generation(obj);
    return t;
  } catch (bad& b) {
    return decoded<fetch_task>::failure("fetch_task: " + b.reason);
  }
}

decoded<bar_batch> decode_bar_batch(std::string_view json) {
  try {
    object obj = open(thread_parser(), json, "bar_batch");
    common_fields c = read_common(obj);
    bar_batch b;
    b.task_id = std::move(c.task_id);
    b.symbol = std::move(c.symbol);
    b.from = c.from;
    b.to = c.to;
    std::uint64_t seq;
    if (field(obj, "seq").get_uint64().get(seq)) fail("field 'seq' must be a non-negative integer");
    if (seq > std::numeric_limits<std::uint32_t>::max()) fail("field 'seq' is out of range");
    b.seq = static_cast<std::uint32_t>(seq);
    b.last = as_bool(field(obj, "last"), top("last"));
    b.generation = read_generation(obj);
    // Optional: a batch without it is final through its task's `to`.
    if (element through; !obj["through"].get(through))
      b.complete_through = as_date(through, top("through"));

    std::size_t i = 0;
    array bars = as_array(field(obj, "bars"), top("bars"));
    b.bars.reserve(bars.size());
    for (element row : bars) {
      const where w{"bars", i++};
      element f[7];
      tuple_of(row, w, f);
      bar x;
      x.date = as_date(f[0], w.at("date"));
      x.open = positive(f[1], w.at("open"));
      x.high = positive(f[2], w.at("high"));
      x.low = positive(f[3], w.at("low"));
      x.close = positive(f[4], w.at("close"));
      // null: the source's adjusted close was broken (bar.hpp); put_double wrote NaN as null.
      x.adj_close = f[5].is_null() ? std::nan("") : positive(f[5], w.at("adj_close"));
      x.volume = as_int64(f[6], w.at("volume"));
      if (x.volume < 0) fail(w.str() + " volume is negative");
      if (!b.bars.empty() && x.date <= b.bars.back().date)
        fail(w.str() + " date " + format_date(x.date) + " is not after the previous bar's " +
             format_date(b.bars.back().date));
      b.bars.push_back(x);
    }
    i = 0;
    for (element row : as_array(field(obj, "splits"), top("splits"))) {
      const where w{"splits", i++};
      element f[3];
      tuple_of(row, w, f);
      split_event sp;
      sp.date = as_date(f[0], w.at("date"));
      sp.numerator = positive(f[1], w.at("numerator"));
      sp.denominator = positive(f[2], w.at("denominator"));
      b.splits.push_back(sp);
    }
    i = 0;
    for (element row : as_array(field(obj, "dividends"), top("dividends"))) {
      const where w{"dividends", i++};
      element f[2];
      tuple_of(row, w, f);
      dividend_event d;
      d.date = as_date(f[0], w.at("date"));
      d.amount = as_double(f[1], w.at("amount"));
      if (!std::isfinite(d.amount) || d.amount < 0)
        fail(w.str() + " amount must be a finite number >= 0");
      b.dividends.push_back(d);
    }
    b.error = std::string{as_string(field(obj, "error"), top("error"))};
    b.permanent = as_bool(field(obj, "permanent"), top("permanent"));
    if (element t; !obj["throttled"].get(t)) b.throttled = as_bool(t, top("throttled"));
    if (!b.error.empty() && (!b.bars.empty() || !b.last))
      fail("a failed fetch (non-empty 'error') must carry no bars and be the last chunk");
    return b;
  } catch (bad& b) {
    return decoded<bar_batch>::failure("bar_batch: " + b.reason);
  }
}

} // namespace finstream::kafka
