// `finstream bench sink`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_bench_sink(int, char**) {
  std::fprintf(stderr, "finstream bench sink: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
