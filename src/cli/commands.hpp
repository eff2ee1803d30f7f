// The verbs of the finstream binary. Each verb parses its own arguments (argv[0] is "finstream
// <verb>").
#pragma once

namespace finstream::cli {

/// Exit codes shared by every verb.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure =
    1; // the work failed (a symbol could not be fetched, a test run failed)
inline constexpr int exit_usage = 2; // bad command line or bad input file
/// Stopped (SIGTERM/SIGINT) without finishing the work it held: a fetch abandoned or an actor
/// still busy past the stop budget. Nothing is lost (uncommitted work is redone), but the stop was
/// not clean; see the log's fetches_abandoned / stop_timeout.
inline constexpr int exit_abandoned = 3;

int run_local(int argc, char** argv);
int run_run(int argc, char** argv);
int run_indicators(int argc, char** argv);
int run_fetch(int argc, char** argv);
int run_migrate(int argc, char** argv);
int run_backfill(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_status(int argc, char** argv);
int run_symbols(int argc, char** argv);
int run_export(int argc, char** argv);
int run_indicators_set(int argc, char** argv);

/// `finstream bench <what>`: each benchmark prints its throughput as the last line.
int run_bench_indicators(int argc, char** argv);
int run_bench_sink(int argc, char** argv);
int run_bench_e2e(int argc, char** argv);
int run_bench_daily(int argc, char** argv);

} // namespace finstream::cli
