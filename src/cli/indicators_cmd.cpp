// `finstream indicators`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_indicators(int, char**) {
  std::fprintf(stderr, "finstream indicators: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
