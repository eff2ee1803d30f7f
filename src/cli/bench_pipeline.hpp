// Scratch pipelines for the end-to-end benchmarks (`bench e2e`, `bench daily`): a schema and a set
// of topics of their own, a runtime configuration over a synthetic universe, removal at the end.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "actors/runtime.hpp"
#include "cli/settings.hpp"

namespace finstream::cli {

/// The options of the pipeline benchmarks, bound to `app` on construction: --symbols (default
/// `default_symbols`), --agents, --processors, --partitions, and the settings kafka.bootstrap,
/// pg.dsn, pg.dsn_file, log.level, processor.batch_rows/batch_ms/max_inflight.
struct pipeline_options {
  int symbols;
  int agents = 2;
  int processors = 2;
  int partitions = 30;
  settings s;      // after resolve()
  std::string dsn; // after resolve()

  pipeline_options(CLI::App& app, int default_symbols);
  /// Parses the command line, then resolves the settings and the DSN and sets up logging (warn
  /// unless --log-level is given). Returns the exit code to end with (help, bad arguments or
  /// settings, reported on stderr as `finstream bench <bench>: ...`), or nullopt to go on.
  std::optional<int> parse(CLI::App& app, int argc, char** argv, const char* bench);

private:
  option_binder binder_;
};

/// One scratch pipeline named `tag`: schema `tag` (created empty and migrated on construction)
/// and topics/groups `tag_*` (created by the runtime). The destructor drops the schema and deletes
/// the topics, reporting failures on stderr. Not copyable; one thread.
class scratch_pipeline {
public:
  /// `s`: the resolved settings (kafka.bootstrap, processor.*); `dsn`: the database's DSN.
  scratch_pipeline(const settings& s, const std::string& dsn, std::string tag, int partitions);
  ~scratch_pipeline();
  scratch_pipeline(const scratch_pipeline&) = delete;
  scratch_pipeline& operator=(const scratch_pipeline&) = delete;

  /// The DSN of the scratch schema (search_path set).
  const std::string& dsn() const noexcept { return dsn_; }
  /// A runtime over `symbols` synthetic symbols and [from, to], this pipeline's schema and topics,
  /// one manager, the processors' options from the settings.
  actors::runtime_config config(int symbols, day_t from, day_t to, int agents,
                                int processors) const;

private:
  const settings& settings_;
  std::string admin_dsn_;
  std::string tag_;
  std::string dsn_;
  actors::kafka_topology kafka_;
};

/// Runs `cfg` until its manager reports idle; returns the seconds from construction of the
/// runtime to idle. Throws std::runtime_error past `limit_seconds` or when an actor gave up.
double run_until_idle(const actors::runtime_config& cfg, double limit_seconds = 3600);

} // namespace finstream::cli
