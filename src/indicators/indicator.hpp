// The streaming interface every indicator implements, and the byte encoding of indicator state.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace finstream::indicators {

/// One bar as the indicators see it (volume converted to double, as TA-Lib takes it).
struct ohlcv {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

/// "No value yet" in an output slot (warm-up). Indicators never output NaN otherwise for finite
/// input: TA-Lib's conventions for flat windows (0, not 0/0) are kept.
inline constexpr double no_value = std::numeric_limits<double>::quiet_NaN();

/// Saved state that cannot be restored: truncated, corrupted, from another algorithm version or
/// indicator configuration, or violating an indicator's invariants. Never undefined behaviour.
class state_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Appends state fields to a byte string: fixed-width little-endian integers, doubles as their
/// IEEE-754 bit pattern (so a restore is bit-identical), vectors as a u32 length then elements.
class state_writer {
public:
  explicit state_writer(std::string& out)
      : out_(out) {}

  template <class... T>
  void operator()(const T&... fields) {
    (put(fields), ...);
  }

  void put_u32(std::uint32_t v) { put_le(v, 4); }
  void put_u64(std::uint64_t v) { put_le(v, 8); }
  void put_bytes(std::string_view bytes) {
    put_u32(static_cast<std::uint32_t>(bytes.size()));
    out_.append(bytes);
  }

private:
  void put_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void put(std::int64_t v) { put_u64(static_cast<std::uint64_t>(v)); }
  void put(std::int32_t v) { put_u32(static_cast<std::uint32_t>(v)); }
  void put(double v);
  template <class T>
  void put(const std::vector<T>& v) {
    put_u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& x : v)
      put(x);
  }
  template <class T,
            class = decltype(std::declval<const T&>().visit(std::declval<state_writer&>()))>
  void put(const T& nested) {
    nested.visit(*this);
  }

  std::string& out_;
};

/// Reads what state_writer wrote. Every read is bounds-checked; a short or malformed input throws
/// state_error. Vector lengths are capped by the bytes remaining, so garbage cannot make it
/// allocate without bound.
class state_reader {
public:
  explicit state_reader(std::string_view in)
      : in_(in) {}

  template <class... T>
  void operator()(T&... fields) {
    (get(fields), ...);
  }

  std::uint32_t get_u32() { return static_cast<std::uint32_t>(get_le(4)); }
  std::uint64_t get_u64() { return get_le(8); }
  std::string_view get_bytes() {
    std::uint32_t n = get_u32();
    need(n);
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  /// Throws unless every byte was consumed.
  void expect_end() const {
    if (pos_ != in_.size())
      throw state_error("indicator state: " + std::to_string(in_.size() - pos_) +
                        " unexpected trailing bytes");
  }

private:
  void need(std::size_t n) const {
    if (in_.size() - pos_ < n) throw state_error("indicator state: truncated");
  }
  std::uint64_t get_le(int n) {
    need(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(in_[pos_ + i])} << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  void get(std::int64_t& v) { v = static_cast<std::int64_t>(get_u64()); }
  void get(std::int32_t& v) { v = static_cast<std::int32_t>(get_u32()); }
  void get(double& v);
  template <class T>
  void get(std::vector<T>& v) {
    std::uint32_t n = get_u32();
    if (n > remaining()) // every element takes at least one byte
      throw state_error("indicator state: vector length out of range");
    v.assign(n, T{});
    for (auto& x : v)
      get(x);
  }
  template <class T, class = decltype(std::declval<T&>().visit(std::declval<state_reader&>()))>
  void get(T& nested) {
    nested.visit(*this);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

/// Lists a state struct's fields once for saving and restoring (declare inside the struct).
#define FINSTREAM_STATE_FIELDS(...)                                                                \
  template <class V>                                                                               \
  void visit(V& v) {                                                                               \
    v(__VA_ARGS__);                                                                                \
  }                                                                                                \
  template <class V>                                                                               \
  void visit(V& v) const {                                                                         \
    v(__VA_ARGS__);                                                                                \
  }

/// The uniform streaming interface. An indicator is configured once (its parameters are fixed for
/// its lifetime), then fed bars in date order with update(); each call writes output_count()
/// values, NaN (no_value) while that output is warming up. One instance is used by one thread at
/// a time. save()/restore() move the complete state: restoring into a fresh instance with the same
/// parameters and continuing gives bit-identical outputs to an uninterrupted run.
class indicator {
public:
  virtual ~indicator() = default;

  virtual std::size_t output_count() const = 0;
  /// Number of bars consumed before output `i` has its first value (TA-Lib's lookback: the first
  /// value is at bar index lookback(i), counting from 0).
  virtual int lookback(std::size_t output) const = 0;
  /// The largest lookback over all outputs: from this bar on, every output has a value.
  int lookback() const;

  virtual void update(const ohlcv& bar, double* out) = 0;
  /// Updates with `n` bars; `out` receives n rows of output_count() values. Same results as n
  /// calls of update().
  virtual void update_many(const ohlcv* bars, std::size_t n, double* out);

  /// Back to the state before the first bar.
  virtual void reset() = 0;
  virtual void save(state_writer& w) const = 0;
  /// Replaces the state; throws state_error (leaving this indicator reset) on malformed input.
  virtual void restore(state_reader& r) = 0;
  /// A copy with the same parameters and state.
  virtual std::unique_ptr<indicator> clone() const = 0;
};

/// Implements save/restore/reset for an indicator whose whole state is one `State` struct with
/// FINSTREAM_STATE_FIELDS. Derived provides `void check_state(const State&) const` that throws
/// state_error when restored bytes break an invariant its update() relies on (buffer sizes,
/// indices in range), so that no restored state can cause out-of-bounds access.
template <class Derived, class State>
class basic_indicator : public indicator {
public:
  const State& state() const { return state_; }
  /// Replaces the state after checking it (throws state_error).
  void set_state(State s) {
    static_cast<const Derived&>(*this).check_state(s);
    static_cast<const Derived&>(*this).rebuild_caches(s);
    state_ = std::move(s);
  }
  /// Derived data kept in State but not saved (FINSTREAM_STATE_FIELDS omits it) is recomputed
  /// here after every restore() and set_state(); Derived hides this no-op when it has such data.
  void rebuild_caches(State&) const {}
  void update_many(const ohlcv* bars, std::size_t n, double* out) override {
    auto& self = static_cast<Derived&>(*this);
    const std::size_t k = self.output_count();
    for (std::size_t i = 0; i < n; ++i)
      self.Derived::update(bars[i], out + i * k); // non-virtual: Derived is final
  }
  std::unique_ptr<indicator> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
  void reset() override { state_ = static_cast<const Derived&>(*this).initial_state(); }
  void save(state_writer& w) const override { state_.visit(w); }
  void restore(state_reader& r) override {
    State s = static_cast<const Derived&>(*this).initial_state();
    try {
      s.visit(r);
      static_cast<const Derived&>(*this).check_state(s);
      static_cast<const Derived&>(*this).rebuild_caches(s);
    } catch (...) {
      reset();
      throw;
    }
    state_ = std::move(s);
  }

protected:
  State state_;
};

/// A bar counter from saved state is plausible: 0 <= count <= 2^53 (more bars than any real series;
/// larger values could overflow the index arithmetic).
inline bool valid_count(std::int64_t count) {
  return count >= 0 && count <= (std::int64_t{1} << 53);
}

/// Throws state_error with `what` unless `ok`.
inline void require_state(bool ok, const char* what) {
  if (!ok) throw state_error(std::string{"indicator state: "} + what);
}

} // namespace finstream::indicators
