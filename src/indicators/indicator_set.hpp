// A configured list of indicators updated together, one bar at a time: what a processor keeps per
// symbol. Parses specs such as "rsi(14),macd(12,26,9),bbands(20,2)" and saves/restores all state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/bar.hpp"
#include "indicators/indicator.hpp"
#include "indicators/registry.hpp"

namespace finstream::indicators {

/// A malformed indicator spec or unknown indicator. what() is one line that ends with the list of
/// known indicators and their default parameters.
class spec_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// One indicator of a set with its full parameter list.
struct indicator_spec {
  const indicator_info* info = nullptr;
  std::vector<double> params; // info->params.size() values
};

/// Copyable (deep copy of all state), movable; one instance is used by one thread at a time.
class indicator_set {
public:
  /// Bumped whenever any indicator's outputs change for the same input (saved state carries it; a
  /// state saved by another algorithm version is refused by restore()).
  static constexpr std::uint32_t algorithm_version = 1;
  /// Version of the byte layout written by save(). 1: the whole set's spec, then each indicator's
  /// state in order (still read); 2: each indicator's state with its own spec, so that a set that
  /// gained or lost indicators restores the others (restore_available()).
  static constexpr std::uint32_t format_version = 2;

  /// The default set, in table order: RSI(14), MACD(12,26,9), SMA(20), EMA(20), BBANDS(20,2),
  /// ATR(14), STOCH(14,3,3), OBV, ADX(14) with +DI/-DI, CCI(20), WILLR(14), MFI(14). Its
  /// output_names() equal core/indicator_row.hpp's indicator_columns, in order.
  static indicator_set default_set();
  /// Parses a comma-separated list of `name` or `name(p1,p2,...)`; omitted trailing parameters take
  /// their defaults; names are case-insensitive; spaces are ignored. Throws spec_error on an
  /// unknown name, a malformed list, a parameter out of range or not a whole number where one is
  /// needed, an empty list, or two items producing the same column.
  static indicator_set parse(std::string_view spec);
  /// The default set's spec string.
  static const char* default_spec();

  explicit indicator_set(std::vector<indicator_spec> specs);
  indicator_set(const indicator_set& other);
  indicator_set& operator=(const indicator_set& other);
  indicator_set(indicator_set&&) noexcept = default;
  indicator_set& operator=(indicator_set&&) noexcept = default;
  ~indicator_set();

  /// Canonical spec, e.g. "rsi(14),macd(12,26,9),obv" (what parse() of it gives back).
  const std::string& spec() const { return spec_; }
  const std::vector<indicator_spec>& items() const { return specs_; }
  /// One per output: `<output>_<parameters joined by _>` (rsi_14, macd_signal_12_26_9, obv, ...).
  const std::vector<std::string>& column_names() const { return columns_; }
  /// One per indicator: its canonical spec ("sma(200)"), the key of its saved state.
  const std::vector<std::string>& item_specs() const { return item_specs_; }
  /// Index of the first output of indicator `i` (its outputs are at(i).output_count() from there).
  std::size_t output_offset(std::size_t i) const { return hot_[i].offset; }
  /// One per output, without parameters (rsi, macd, macd_signal, ...).
  const std::vector<std::string>& output_names() const { return outputs_; }
  std::size_t output_count() const { return columns_.size(); }
  /// Bars consumed since construction / reset (restored by restore()).
  std::int64_t bars_seen() const { return bars_; }
  /// The indicator objects, in spec order (output ranges consecutive).
  const indicator& at(std::size_t i) const { return *items_[i]; }

  /// Feeds the next bar (dates strictly increasing; not checked here) and writes output_count()
  /// values to `out`, NaN where an output has no value yet. O(1) amortized per bar per indicator
  /// except CCI (O(period), as TA-Lib's definition needs the whole window).
  void update(const ohlcv& b, double* out) {
    if (fused_ != nullptr) {
      fused_(raw_.data(), b, out);
    } else {
      for (const auto& e : hot_)
        e.ind->update(b, out + e.offset);
    }
    ++bars_;
  }
  void update(const bar& b, double* out) {
    update(ohlcv{b.open, b.high, b.low, b.close, static_cast<double>(b.volume)}, out);
  }
  /// Feeds `n` bars; `out` receives n rows of output_count() values. Same results as n update()s.
  void update_many(const ohlcv* bars, std::size_t n, double* out);

  /// Back to the state before the first bar.
  void reset();
  /// All state as bytes: magic, format and algorithm versions, bars seen, each indicator's
  /// canonical spec and state, and a checksum. Portable (fixed little-endian layout).
  std::string save() const;
  /// Replaces all state with saved bytes. Throws state_error on bytes that are truncated,
  /// corrupted, of another format/algorithm version or spec (other indicators, in another order),
  /// or break an indicator's invariants; the set is then unchanged.
  void restore(std::string_view bytes);
  /// Restores each indicator whose spec the saved bytes hold (format 1 or 2); the others are reset
  /// and their indices returned, ascending. Saved indicators this set lacks are ignored. Throws
  /// state_error like restore() on bad bytes (the set is then unchanged). The bar count is the
  /// saved one.
  std::vector<std::size_t> restore_available(std::string_view bytes);
  /// A new set of the indicators at `indices` (ascending), in their initial state.
  indicator_set subset(const std::vector<std::size_t>& indices) const;
  /// Takes over the state of `part`'s indicators, which are this set's indicators at `indices`
  /// (as from subset(indices)); throws std::invalid_argument when the specs differ.
  void adopt(const indicator_set& part, const std::vector<std::size_t>& indices);

private:
  struct hot_entry {
    indicator* ind;
    std::size_t offset;
  };
  /// Updates all indicators of a known layout in one function (see indicator_set.cpp).
  using fused_fn = void (*)(indicator* const* items, const ohlcv& b, double* out);
  void rebuild_hot();

  std::vector<indicator_spec> specs_;
  std::vector<std::unique_ptr<indicator>> items_;
  std::vector<hot_entry> hot_;
  std::vector<indicator*> raw_;
  fused_fn fused_ = nullptr;
  std::vector<std::string> columns_;
  std::vector<std::string> outputs_;
  std::vector<std::string> item_specs_;
  std::string spec_;
  std::int64_t bars_ = 0;
};

/// Shortest text that reads back as exactly `v` ("14", "2.5", "0.1"); used for parameters in
/// column names and for CSV output.
std::string format_number(double v);
/// Same, appended to a buffer of at least 32 chars; returns the end.
char* format_number(double v, char* out);

} // namespace finstream::indicators
