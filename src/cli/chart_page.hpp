// Starting the chart page (src/ui) from the long-running verbs, per the ui.* options.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/settings.hpp"
#include "ui/server.hpp"

namespace finstream::cli {

/// Where and how the chart page will listen.
struct chart_page_plan {
  ui::server_options options;
  bool any_port_if_taken = false; // the port is the default one: take a free port when it is busy
};

/// The chart page's plan from ui.*, or nullopt when it is off. ui.port: -1 = off; 0 = any free
/// port; empty = 8080 when `on_by_default` (any free port when 8080 is taken), else off. Throws
/// std::invalid_argument on bad values (call it with the other option checks: bad usage).
std::optional<chart_page_plan> plan_chart_page(const settings& s, bool on_by_default);

/// Starts the chart page reading `dsn`, or returns nullptr without a plan. A port that cannot be
/// bound is a warning and nullptr: the pipeline matters more than its page.
std::unique_ptr<ui::server> start_chart_page(const std::optional<chart_page_plan>& plan,
                                             const std::string& dsn);

} // namespace finstream::cli
