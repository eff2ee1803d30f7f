// The registry table: one line per indicator.
#include "indicators/registry.hpp"

#include <string>
#include <utility>

#include "indicators/adx.hpp"
#include "indicators/aroon.hpp"
#include "indicators/atr.hpp"
#include "indicators/bbands.hpp"
#include "indicators/cci.hpp"
#include "indicators/ema.hpp"
#include "indicators/macd.hpp"
#include "indicators/mfi.hpp"
#include "indicators/mom.hpp"
#include "indicators/natr.hpp"
#include "indicators/obv.hpp"
#include "indicators/roc.hpp"
#include "indicators/rsi.hpp"
#include "indicators/sma.hpp"
#include "indicators/stoch.hpp"
#include "indicators/trix.hpp"
#include "indicators/willr.hpp"
#include "indicators/wma.hpp"

namespace finstream::indicators {

namespace {

// Builds T from the parameter list, converting each to the constructor's parameter type.
template <class T, class... Args, std::size_t... I>
std::unique_ptr<indicator> make_with(const std::vector<double>& p, std::index_sequence<I...>) {
  return std::make_unique<T>(static_cast<Args>(p[I])...);
}
template <class T, class... Args>
std::unique_ptr<indicator> make(const std::vector<double>& p) {
  return make_with<T, Args...>(p, std::index_sequence_for<Args...>{});
}

constexpr double big = 100000; // TA-Lib's largest period

param_info period(double def, double min) {
  return {"period", def, min, big, true};
}

} // namespace

const std::vector<indicator_info>& registry() {
  // clang-format off
  static const std::vector<indicator_info> table = {
    {"rsi", "Relative Strength Index", "close", {period(14, 2)}, {"rsi"}, make<rsi, int>},
    {"macd", "Moving Average Convergence/Divergence", "close", {{"fast", 12, 2, big, true}, {"slow", 26, 2, big, true}, {"signal", 9, 2, big, true}}, {"macd", "macd_signal", "macd_hist"}, make<macd, int, int, int>},
    {"sma", "Simple Moving Average", "close", {period(20, 2)}, {"sma"}, make<sma, int>},
    {"ema", "Exponential Moving Average", "close", {period(20, 2)}, {"ema"}, make<ema, int>},
    {"bbands", "Bollinger Bands (SMA, equal deviations)", "close", {period(20, 2), {"deviations", 2, -3e37, 3e37, false}}, {"bb_upper", "bb_middle", "bb_lower"}, make<bbands, int, double>},
    {"atr", "Average True Range", "high,low,close", {period(14, 1)}, {"atr"}, make<atr, int>},
    {"stoch", "Stochastic (SMA smoothing)", "high,low,close", {{"fastk", 14, 1, big, true}, {"slowk", 3, 1, big, true}, {"slowd", 3, 1, big, true}}, {"stoch_k", "stoch_d"}, make<stoch, int, int, int>},
    {"obv", "On Balance Volume", "close,volume", {}, {"obv"}, make<obv>},
    {"adx", "Average Directional Index with +DI and -DI", "high,low,close", {period(14, 2)}, {"adx", "plus_di", "minus_di"}, make<adx, int>},
    {"cci", "Commodity Channel Index", "high,low,close", {period(20, 2)}, {"cci"}, make<cci, int>},
    {"willr", "Williams %R", "high,low,close", {period(14, 2)}, {"willr"}, make<willr, int>},
    {"mfi", "Money Flow Index", "high,low,close,volume", {period(14, 2)}, {"mfi"}, make<mfi, int>},
    {"mom", "Momentum", "close", {period(10, 1)}, {"mom"}, make<mom, int>},
    {"roc", "Rate of Change (percent)", "close", {period(10, 1)}, {"roc"}, make<roc, int>},
    {"wma", "Weighted Moving Average", "close", {period(20, 2)}, {"wma"}, make<wma, int>},
    {"aroon", "Aroon down and up", "high,low", {period(14, 2)}, {"aroon_down", "aroon_up"}, make<aroon, int>},
    {"trix", "Triple-EMA rate of change", "close", {period(30, 2)}, {"trix"}, make<trix, int>},
    {"natr", "Normalized Average True Range", "high,low,close", {period(14, 1)}, {"natr"}, make<natr, int>},
  };
  // clang-format on
  return table;
}

const indicator_info* find_indicator(std::string_view name) {
  for (const auto& info : registry())
    if (name == info.name) return &info;
  return nullptr;
}

std::string known_indicators() {
  std::string out;
  for (const auto& info : registry()) {
    if (!out.empty()) out += ", ";
    out += info.name;
    if (info.params.empty()) continue;
    out += '(';
    for (std::size_t i = 0; i < info.params.size(); ++i) {
      if (i) out += ',';
      out += info.params[i].name;
      out += '=';
      const double d = info.params[i].default_value;
      out += d == static_cast<long long>(d) ? std::to_string(static_cast<long long>(d))
                                            : std::to_string(d);
    }
    out += ')';
  }
  return out;
}

} // namespace finstream::indicators
