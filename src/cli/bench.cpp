// `finstream bench <what>`: dispatch to the benchmarks.
#include <cstdio>
#include <cstring>

#include "cli/commands.hpp"

namespace finstream::cli {

int run_bench(int argc, char** argv) {
  struct entry {
    const char* name;
    int (*run)(int, char**);
    const char* summary;
  };
  static const entry benches[] = {
      {"indicators", run_bench_indicators, "default indicator set, streaming, synthetic bars"},
      {"sink", run_bench_sink, "PostgreSQL sink vs plain COPY (--pg DSN --rows N)"},
      {"e2e", run_bench_e2e, "synthetic universe through Kafka into PostgreSQL"},
      {"daily", run_bench_daily, "one new trading day with 1 vs 20 years of stored history"},
  };
  if (argc >= 2) {
    for (const auto& b : benches)
      if (!std::strcmp(argv[1], b.name)) return b.run(argc - 1, argv + 1);
  }
  bool help = argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"));
  std::FILE* out = help ? stdout : stderr;
  std::fprintf(out, "usage: finstream bench <benchmark> [options]\n\nbenchmarks:\n");
  for (const auto& b : benches)
    std::fprintf(out, "  %-11s %s\n", b.name, b.summary);
  return help ? exit_ok : exit_usage;
}

} // namespace finstream::cli
