// `finstream backfill`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_backfill(int, char**) {
  std::fprintf(stderr, "finstream backfill: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
