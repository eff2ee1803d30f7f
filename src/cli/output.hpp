// Where a verb writes its CSV: a file, or stdout for "-".
#pragma once

#include <cstdio>
#include <memory>
#include <string>

namespace finstream::cli {

struct output_closer {
  void operator()(std::FILE* f) const {
    if (f != nullptr && f != stdout) std::fclose(f);
  }
};
using output_file = std::unique_ptr<std::FILE, output_closer>;

/// stdout for "-", else the file opened for writing; null when it cannot be opened.
inline output_file open_output(const std::string& path) {
  if (path == "-") return output_file{stdout};
  return output_file{std::fopen(path.c_str(), "wb")};
}

} // namespace finstream::cli
