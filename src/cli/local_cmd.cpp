// `finstream local`: every role in one process with in-process messaging, on a private PostgreSQL
// unless --pg is given.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "cli/chart_page.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "core/log.hpp"
#include "pg/connection.hpp"
#include "pg/dsn.hpp"
#include "pg/indicator_sets.hpp"
#include "pg/private_cluster.hpp"

namespace finstream::cli {

namespace {

/// The embedded default universe: large US stocks (with the synthetic source their names only seed
/// the generator; with --source yahoo they are real).
const std::vector<std::string> default_universe = {
    "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "BRK-B", "TSLA", "JPM",  "V",
    "UNH",  "XOM",  "JNJ",  "WMT",  "MA",    "PG",   "HD",    "CVX",  "MRK",  "ABBV",
    "KO",   "PEP",  "COST", "AVGO", "ADBE",  "CSCO", "MCD",   "CRM",  "ACN",  "TMO",
    "ABT",  "LIN",  "DHR",  "NKE",  "ORCL",  "TXN",  "NEE",   "PM",   "UPS",  "MS",
    "RTX",  "HON",  "IBM",  "AMGN", "QCOM",  "CAT",  "GS",    "INTC", "SBUX", "BA"};

} // namespace

int run_local(int argc, char** argv) {
  CLI::App app{
      "Runs manager, agents and processors in this process, bound by in-process messaging\n"
      "instead of Kafka. Without --pg it keeps a private PostgreSQL under --data-dir.\n"
      "Without --symbols/--universe it runs on an embedded universe of 50 large US stocks\n"
      "(synthetic data by default). Interrupted (Ctrl-C, SIGTERM) and started again, it\n"
      "resumes where it stopped; nothing is lost or written twice.",
      "finstream local"};
  bool exit_when_idle = false;
  bool stop_db = false;
  int agents = 2;
  int processors = 2;
  app.add_flag("--exit-when-idle", exit_when_idle,
               "exit once everything planned is stored (default: keep running, plan daily)");
  app.add_flag("--stop-db", stop_db,
               "stop the private PostgreSQL at exit (default: leave it running for psql)");
  app.add_option("--agents", agents, "agent actors (fetching)")->check(CLI::Range(1, 64));
  app.add_option("--processors", processors, "processor actors (indicators + COPY)")
      ->check(CLI::Range(1, 64));
  auto keys = pipeline_option_keys();
  keys.push_back("local.data_dir");
  option_binder binder{app, keys};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  settings s;
  actors::runtime_config rc;
  std::string dsn;
  std::optional<chart_page_plan> chart_plan;
  try {
    s = binder.resolve();
    log::setup(s.str("log.level"));
    rc.universe = make_universe(s, default_universe);
    rc.manager = make_manager_options(s);
    rc.processing = make_processor_options(s);
    rc.manager_poll = std::chrono::milliseconds{s.integer("manager.poll_ms")};
    auto factory = std::make_shared<source_factory>(make_source_options(s));
    rc.make_source = [factory] { return factory->make(); };
    dsn = resolve_dsn(s);
    chart_plan = plan_chart_page(s, /*on_by_default=*/true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finstream local: %s\n", e.what());
    return exit_usage;
  }
  rc.roles = {1, agents, processors};

  install_signal_handlers();
  std::unique_ptr<pg::private_cluster> cluster;
  std::string psql_hint;
  if (dsn.empty()) {
    pg::private_cluster_options po;
    po.data_dir = s.str("local.data_dir");
    po.keep_running = !stop_db;
    std::fprintf(stderr, "finstream local: private PostgreSQL under %s\n", po.data_dir.c_str());
    cluster = std::make_unique<pg::private_cluster>(po);
    dsn = cluster->dsn();
    psql_hint = cluster->psql_command();
  } else {
    psql_hint = "psql \"" + pg::redact_dsn(dsn) + "\"";
  }
  rc.dsn = dsn;
  auto ops = start_ops_server(s);
  readiness_probe probe{dsn, std::nullopt};
  auto chart = start_chart_page(chart_plan, dsn);
  if (chart) std::fprintf(stderr, "finstream local: chart page at %s\n", chart->url().c_str());
  bool announced = false; // summary and chart URL printed once the first backfill is stored
  std::unique_ptr<pg::connection> fill_conn;
  const auto fills_left = [&]() -> bool {
    try {
      if (!fill_conn) fill_conn = std::make_unique<pg::connection>(dsn);
      return pg::fill_pending_count(*fill_conn) > 0;
    } catch (const std::exception& e) {
      log::warn("main", "fill_count_unknown", {{"reason", e.what()}});
      fill_conn.reset();
      return true; // unknown: not idle yet
    }
  };

  int status = exit_ok;
  {
    actors::runtime rt{rc};
    progress_line progress;
    engine::manager_progress last;
    while (!stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds{250});
      auto p = rt.progress();
      if (!p) continue;
      last = *p;
      if (!announced) progress.update(last); // afterwards the summary stays the last thing shown
      // Symbols left to fill (an indicator added to the stored set) are work too: the idle
      // processors fill them (see local_processor.hpp).
      if (last.idle && fills_left()) last.idle = false;
      if (exit_when_idle && last.idle) break;
      if (last.idle && !announced && chart) {
        progress.finish();
        print_summary(dsn, rc.universe(), psql_hint);
        std::printf("\nsee it:\n  %s  (chart page; serving until Ctrl-C)\n", chart->url().c_str());
        std::fflush(stdout);
        announced = true;
      }
    }
    progress.finish();
    if (stop_requested())
      std::fprintf(stderr,
                   "finstream local: stopping (work in progress is kept and resumed next time)\n");
    bool clean = rt.stop();
    if (last.failed > 0) status = exit_failure;
    if (!clean) {
      // An actor is still busy past the budget (a fetch in a long retry): what is committed is
      // consistent, the rest is redone next time; do not wait for it (destroying the runtime
      // would), and say so in the exit code.
      print_summary(dsn, rc.universe(), psql_hint);
      std::fprintf(stderr, "finstream local: stopped before work in progress finished\n");
      std::fflush(nullptr);
      std::_Exit(exit_abandoned);
    }
  }
  print_summary(dsn, rc.universe(), psql_hint);
  chart.reset(); // its connections go before the server does
  if (cluster && stop_db) cluster->stop();
  return stop_requested() ? exit_ok : status;
}

} // namespace finstream::cli
