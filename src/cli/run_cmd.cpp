// `finstream run`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_run(int, char**) {
  std::fprintf(stderr, "finstream run: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
