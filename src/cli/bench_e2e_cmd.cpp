// `finstream bench e2e`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_bench_e2e(int, char**) {
  std::fprintf(stderr, "finstream bench e2e: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
