// `finstream fetch`: not built yet.
#include <cstdio>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_fetch(int, char**) {
  std::fprintf(stderr, "finstream fetch: not built yet in this version\n");
  return exit_usage;
}

} // namespace finstream::cli
