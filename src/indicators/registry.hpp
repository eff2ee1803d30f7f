// The registry of indicators: for each one its spec name, inputs, parameters (with defaults and
// TA-Lib's ranges) and outputs, and how to build it. Adding an indicator = one line in registry.cpp
// (see docs/indicators.md).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "indicators/indicator.hpp"

namespace finstream::indicators {

struct param_info {
  const char* name;
  double default_value;
  double min;
  double max;
  bool integer; // integer parameters must be whole numbers in the spec
};

struct indicator_info {
  const char* name;   // as written in a spec: "rsi"
  const char* title;  // "Relative Strength Index"
  const char* inputs; // bar fields used, e.g. "high,low,close"
  std::vector<param_info> params;
  std::vector<const char*> outputs; // output names, e.g. {"macd", "macd_signal", "macd_hist"}
  /// Builds the indicator from a full parameter list (params.size() values, already validated).
  std::unique_ptr<indicator> (*make)(const std::vector<double>& params);
};

/// Every known indicator, in documentation order.
const std::vector<indicator_info>& registry();

/// The entry named `name`, or nullptr.
const indicator_info* find_indicator(std::string_view name);

/// "rsi(period=14), macd(fast=12,slow=26,signal=9), ..., obv" for error messages and --help.
std::string known_indicators();

} // namespace finstream::indicators
