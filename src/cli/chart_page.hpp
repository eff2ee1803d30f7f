// Starting the chart page (src/ui) from the long-running verbs, per the ui.* options.
#pragma once

#include <memory>
#include <string>

#include "cli/settings.hpp"
#include "ui/server.hpp"

namespace finstream::cli {

/// Starts the chart page on ui.address:ui.port reading `dsn`, or returns nullptr when it is off.
/// ui.port: -1 = off; 0 = any free port; empty = 8080 when `on_by_default` (then any free port
/// when 8080 is taken), else off. A port that cannot be bound is a warning and nullptr: the
/// pipeline matters more than its page. Throws std::invalid_argument on bad option values.
std::unique_ptr<ui::server> start_chart_page(const settings& s, const std::string& dsn,
                                             bool on_by_default);

} // namespace finstream::cli
