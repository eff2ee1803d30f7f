// libFuzzer target: the option table from the command line and the environment (cli/settings
// option_binder over CLI11, FINSTREAM_* variables). Input: NUL-separated tokens; "FINSTREAM_X=v"
// tokens become environment variables, the others argv. --config and FINSTREAM_CONFIG are left
// out (they name a file: config_fuzz covers its content).
// fuzz-sources: src/cli/settings.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/options/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/settings.hpp"
#include "fuzz_check.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  std::vector<std::string> args{"finstream"};
  std::vector<std::string> env_set;
  while (!input.empty()) {
    auto end = input.find('\0');
    std::string token{input.substr(0, end)};
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
    if (token.rfind("--config", 0) == 0 || token.rfind("FINSTREAM_CONFIG", 0) == 0) continue;
    if (auto eq = token.find('='); token.rfind("FINSTREAM_", 0) == 0 && eq != std::string::npos) {
      auto name = token.substr(0, eq);
      setenv(name.c_str(), token.c_str() + eq + 1, 1);
      env_set.push_back(name);
    } else {
      args.push_back(std::move(token));
    }
  }
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& d : cli::option_table())
      out.emplace_back(d.key);
    return out;
  }();
  // One App for the whole run (building one per input would dominate the time); clear() resets
  // what the previous input set, and resolve() only takes flags counted in this parse.
  static CLI::App app{"fuzz"};
  static cli::option_binder binder{app, keys};
  app.clear();
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    auto s = binder.resolve();
    for (const auto& key : keys) {
      fuzz::check_typed_accessors(s, key);
    }
  } catch (const CLI::ParseError&) {
    // Rejected by CLI11: the command reports it (exit code 2), nothing to check here.
  } catch (const std::invalid_argument& e) {
    fuzz::check_one_line(e.what(), "option error is one line");
  }
  for (const auto& name : env_set)
    unsetenv(name.c_str());
  return 0;
}
