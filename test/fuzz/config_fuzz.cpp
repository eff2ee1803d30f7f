// libFuzzer target: the config file (cli/settings read_config_file, TOML) and the typed accessors
// every command reads options through. Errors are std::invalid_argument with a one-line message.
// fuzz-sources: src/cli/settings.cpp src/core/*.cpp
// fuzz-seeds: config/finstream.toml test/fuzz/seeds/config/*
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "cli/settings.hpp"
#include "fuzz_check.hpp"

using namespace finstream;

namespace {

/// One scratch file per fuzzing process (read_config_file takes a path).
const std::string& scratch_path() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/finstream-config-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) std::abort();
    close(fd);
    std::atexit([] { std::remove(scratch_path().c_str()); });
    return std::string{tmpl};
  }();
  return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = scratch_path();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
  }
  try {
    auto values = cli::read_config_file(path);
    cli::settings s;
    for (auto& [key, value] : values) {
      s.set(key, value, "file");
      fuzz::check_typed_accessors(s, key);
    }
  } catch (const std::invalid_argument& e) {
    fuzz::check_one_line(e.what(), "config file error is one line");
  }
  return 0;
}
