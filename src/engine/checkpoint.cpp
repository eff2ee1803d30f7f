// Binary encoding of symbol checkpoints: little-endian fixed-width fields behind a magic and
// version. Hand-written rather than CAF's binary serializer so that the stored bytes do not depend
// on the actor framework's version.
#include "engine/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace finstream::engine {

namespace {

constexpr char magic[4] = {'F', 'S', 'C', 'P'};
// 1: without the revision window (still read: an empty window); 2: with it; 3: with the task
// generation (8 bytes after the window) and the extension in progress (a flag byte, then
// resume_at, last and the state). A
// replica that knows only 1 and 2 refuses a version 3 checkpoint (logged, then recomputed from the
// stored rows) rather than misreading it; see docs/architecture.md, "Formats and versions".
constexpr std::uint8_t format_version = 3;

template <class T>
void put(std::string& out, T value) {
  char buf[sizeof(T)];
  std::memcpy(buf, &value, sizeof(T));
  out.append(buf, sizeof(T));
}

struct reader {
  std::string_view in;
  template <class T>
  T get() {
    if (in.size() < sizeof(T)) throw std::runtime_error("symbol checkpoint truncated");
    T value;
    std::memcpy(&value, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return value;
  }
};

} // namespace

std::string symbol_checkpoint::encode() const {
  std::string out;
  std::size_t size = 40 + applied_splits.size() * 4 + indicator_state.size();
  for (const auto& w : window)
    size += 56 + w.state_before.size();
  out.reserve(size);
  out.append(magic, 4);
  put<std::uint8_t>(out, format_version);
  put<std::uint8_t>(out, has_bars ? 1 : 0);
  put<std::int32_t>(out, first_date);
  put<std::int32_t>(out, last_date);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(applied_splits.size()));
  for (auto d : applied_splits)
    put<std::int32_t>(out, d);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(window.size()));
  for (const auto& w : window) {
    put<std::int32_t>(out, w.b.date);
    put<double>(out, w.b.open);
    put<double>(out, w.b.high);
    put<double>(out, w.b.low);
    put<double>(out, w.b.close);
    put<double>(out, w.b.adj_close);
    put<std::int64_t>(out, w.b.volume);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(w.state_before.size()));
    out += w.state_before;
  }
  put<std::int64_t>(out, generation);
  put<std::uint8_t>(out, ext ? 1 : 0);
  if (ext) {
    put<std::int32_t>(out, ext->resume_at);
    put<std::int32_t>(out, ext->last);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(ext->state.size()));
    out += ext->state;
  }
  put<std::uint32_t>(out, static_cast<std::uint32_t>(indicator_state.size()));
  out += indicator_state;
  return out;
}

symbol_checkpoint symbol_checkpoint::decode(std::string_view bytes) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), magic, 4) != 0)
    throw std::runtime_error("not a symbol checkpoint");
  reader r{bytes.substr(4)};
  const auto version = r.get<std::uint8_t>();
  if (version < 1 || version > format_version)
    throw std::runtime_error("unsupported symbol checkpoint version " + std::to_string(version));
  symbol_checkpoint cp;
  auto flag = r.get<std::uint8_t>();
  if (flag > 1) throw std::runtime_error("corrupt symbol checkpoint");
  cp.has_bars = flag == 1;
  cp.first_date = r.get<std::int32_t>();
  cp.last_date = r.get<std::int32_t>();
  auto n = r.get<std::uint32_t>();
  if (n > r.in.size() / 4) throw std::runtime_error("corrupt symbol checkpoint");
  cp.applied_splits.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i)
    cp.applied_splits.push_back(r.get<std::int32_t>());
  if (version >= 2) {
    auto entries = r.get<std::uint32_t>();
    if (entries > r.in.size() / 48) throw std::runtime_error("corrupt symbol checkpoint");
    cp.window.resize(entries);
    for (auto& w : cp.window) {
      w.b.date = r.get<std::int32_t>();
      w.b.open = r.get<double>();
      w.b.high = r.get<double>();
      w.b.low = r.get<double>();
      w.b.close = r.get<double>();
      w.b.adj_close = r.get<double>();
      w.b.volume = r.get<std::int64_t>();
      auto n_state = r.get<std::uint32_t>();
      if (n_state > r.in.size()) throw std::runtime_error("corrupt symbol checkpoint");
      w.state_before.assign(r.in.data(), n_state);
      r.in.remove_prefix(n_state);
    }
    for (std::size_t i = 1; i < cp.window.size(); ++i)
      if (cp.window[i].b.date <= cp.window[i - 1].b.date)
        throw std::runtime_error("corrupt symbol checkpoint");
  }
  if (version >= 3) {
    cp.generation = r.get<std::int64_t>();
    if (cp.generation < 0) throw std::runtime_error("corrupt symbol checkpoint");
    auto flag_ext = r.get<std::uint8_t>();
    if (flag_ext > 1) throw std::runtime_error("corrupt symbol checkpoint");
    if (flag_ext == 1) {
      extension e;
      e.resume_at = r.get<std::int32_t>();
      e.last = r.get<std::int32_t>();
      auto n_state = r.get<std::uint32_t>();
      if (n_state > r.in.size() || (e.last != 0 && e.last >= e.resume_at))
        throw std::runtime_error("corrupt symbol checkpoint");
      e.state.assign(r.in.data(), n_state);
      r.in.remove_prefix(n_state);
      cp.ext = std::move(e);
    }
  }
  auto len = r.get<std::uint32_t>();
  if (len != r.in.size()) throw std::runtime_error("corrupt symbol checkpoint");
  cp.indicator_state.assign(r.in.data(), r.in.size());
  return cp;
}

bool symbol_checkpoint::split_applied(day_t date) const {
  return std::binary_search(applied_splits.begin(), applied_splits.end(), date);
}

void symbol_checkpoint::mark_split_applied(day_t date) {
  auto i = std::lower_bound(applied_splits.begin(), applied_splits.end(), date);
  if (i == applied_splits.end() || *i != date) applied_splits.insert(i, date);
}

} // namespace finstream::engine
