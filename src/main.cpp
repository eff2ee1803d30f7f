// Entry point of the finstream binary: dispatches to one verb per sub-command.
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli/commands.hpp"

namespace {

struct verb {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const verb verbs[] = {
    {"local", finstream::cli::run_local,
     "every role in one process, in-process messaging, own PostgreSQL unless --pg"},
    {"run", finstream::cli::run_run,
     "host manager/agent/processor actors (--roles) bound together through Kafka"},
    {"indicators", finstream::cli::run_indicators,
     "compute indicators over a bar file (Yahoo JSON, yfinance CSV, plain CSV)"},
    {"fetch", finstream::cli::run_fetch,
     "download daily bars (Yahoo, CSV directory, synthetic) to CSV"},
    {"migrate", finstream::cli::run_migrate, "create or upgrade the PostgreSQL schema"},
    {"backfill", finstream::cli::run_backfill,
     "ask a running deployment's manager to (re)fetch a range"},
    {"bench", finstream::cli::run_bench, "benchmarks: indicators, sink, e2e"},
    {"status", finstream::cli::run_status,
     "progress, failures, active manager, next run, consumer lag (--json)"},
    {"symbols", finstream::cli::run_symbols, "retry, drop (exclude) or undrop symbols"},
    {"export", finstream::cli::run_export, "stored rows of technical_indicators to CSV (COPY TO)"},
    {"indicators-set", finstream::cli::run_indicators_set,
     "the indicator set stored in PostgreSQL: list, add, remove"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "finstream %s - stock symbols to technical indicators in PostgreSQL\n\n"
               "usage: finstream <verb> [options]    (finstream <verb> --help for its options)\n\n"
               "verbs:\n",
               FINSTREAM_VERSION);
  for (const auto& v : verbs)
    std::fprintf(out, "  %-11s %s\n", v.name, v.summary);
  std::fprintf(out, "\nexit codes: 0 success, 1 the work failed, 2 bad usage or input\n");
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return finstream::cli::exit_usage;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    usage(stdout);
    return finstream::cli::exit_ok;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("finstream %s\n", FINSTREAM_VERSION);
    return finstream::cli::exit_ok;
  }
  for (const auto& v : verbs) {
    if (!std::strcmp(argv[1], v.name)) {
      try {
        return v.run(argc - 1, argv + 1);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "finstream %s: %s\n", v.name, e.what());
        return finstream::cli::exit_failure;
      }
    }
  }
  std::fprintf(stderr, "finstream: unknown verb '%s'\n\n", argv[1]);
  usage(stderr);
  return finstream::cli::exit_usage;
}
