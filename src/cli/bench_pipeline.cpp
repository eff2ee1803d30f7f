// Scratch pipelines for the end-to-end benchmarks (see bench_pipeline.hpp).
#include "cli/bench_pipeline.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/log.hpp"
#include "kafka/admin.hpp"
#include "pg/dsn.hpp"
#include "pg/migrations.hpp"
#include "sources/factory.hpp"
#include "sources/synthetic.hpp"

namespace finstream::cli {

pipeline_options::pipeline_options(CLI::App& app, int default_symbols)
    : symbols(default_symbols)
    , binder_{app,
              {"kafka.bootstrap", "pg.dsn", "pg.dsn_file", "log.level", "processor.batch_rows",
               "processor.batch_ms", "processor.max_inflight"}} {
  app.add_option("--symbols", symbols, "synthetic symbols")->check(CLI::Range(1, 100000));
  app.add_option("--agents", agents, "agent actors")->check(CLI::Range(1, 64));
  app.add_option("--processors", processors, "processor actors")->check(CLI::Range(1, 64));
  app.add_option("--partitions", partitions, "partitions of the scratch topics")
      ->check(CLI::Range(1, 1000));
}

std::optional<int> pipeline_options::parse(CLI::App& app, int argc, char** argv,
                                           const char* bench) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  try {
    s = binder_.resolve();
    log::setup(s.origin("log.level") == "flag" ? s.str("log.level") : std::string{"warn"});
    dsn = resolve_dsn(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench %s: %s\n", bench, e.what());
    return exit_usage;
  }
  return std::nullopt;
}

scratch_pipeline::scratch_pipeline(const settings& s, const std::string& dsn, std::string tag,
                                   int partitions)
    : settings_(s)
    , admin_dsn_(dsn)
    , tag_(std::move(tag)) {
  pg::connection admin{admin_dsn_};
  const auto q = pg::quote_identifier(admin, tag_);
  admin.exec("DROP SCHEMA IF EXISTS " + q + " CASCADE");
  admin.exec("CREATE SCHEMA " + q);
  std::string options;
  for (const auto& [k, v] : pg::dsn_settings(dsn))
    if (k == "options") options = v + " ";
  dsn_ = pg::dsn_with(dsn, {{"options", options + "-c search_path=" + tag_}});
  kafka_.client.bootstrap_servers = s.str("kafka.bootstrap");
  kafka_.task_topic = tag_ + "_tasks";
  kafka_.data_topic = tag_ + "_bars";
  kafka_.agent_group = tag_ + "_agents";
  kafka_.processor_group = tag_ + "_processors";
  kafka_.partitions = partitions;
  pg::connection c{dsn_};
  pg::migrate(c);
}

scratch_pipeline::~scratch_pipeline() {
  try {
    pg::connection admin{admin_dsn_};
    admin.exec("DROP SCHEMA IF EXISTS " + pg::quote_identifier(admin, tag_) + " CASCADE");
    kafka::admin{kafka_.client}.delete_topics({kafka_.task_topic, kafka_.data_topic,
                                               kafka_.task_topic + kafka_.dlq_suffix,
                                               kafka_.data_topic + kafka_.dlq_suffix});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream bench: cleanup of %s: %s\n", tag_.c_str(), e.what());
  }
}

actors::runtime_config scratch_pipeline::config(int symbols, day_t from, day_t to, int agents,
                                                int processors) const {
  actors::runtime_config cfg;
  cfg.roles = {1, agents, processors};
  cfg.kafka = kafka_;
  cfg.dsn = dsn_;
  auto universe = synthetic_symbols(static_cast<std::size_t>(symbols));
  cfg.universe = [universe] { return universe; };
  cfg.manager.from = from;
  cfg.manager.to = to;
  cfg.manager_poll = std::chrono::milliseconds{100};
  cfg.processing = make_processor_options(settings_);
  source_options so;
  so.spec = "synthetic";
  auto factory = std::make_shared<source_factory>(so);
  cfg.make_source = [factory] { return factory->make(); };
  return cfg;
}

double run_until_idle(const actors::runtime_config& cfg, double limit_seconds) {
  using clock_type = std::chrono::steady_clock;
  const auto t0 = clock_type::now();
  actors::runtime rt{cfg};
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    auto p = rt.progress();
    if (p && p->idle) break;
    if (auto f = rt.failure()) throw std::runtime_error("pipeline failed: " + *f);
    if (std::chrono::duration<double>(clock_type::now() - t0).count() > limit_seconds)
      throw std::runtime_error("pipeline not idle within " + std::to_string(limit_seconds) + " s");
  }
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace finstream::cli
