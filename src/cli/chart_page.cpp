// The chart page of `finstream local` and `finstream run` (see chart_page.hpp).
#include "cli/chart_page.hpp"

#include <stdexcept>

#include "core/log.hpp"

namespace finstream::cli {

std::optional<chart_page_plan> plan_chart_page(const settings& s, bool on_by_default) {
  const bool default_port = s.str("ui.port").empty();
  if (default_port && !on_by_default) return std::nullopt;
  long long port = default_port ? 8080 : s.integer("ui.port");
  if (port > 65535 || port < -1) throw std::invalid_argument("--ui-port must be -1..65535");
  auto timeout = s.integer("ui.statement_timeout_ms");
  if (timeout < 1) throw std::invalid_argument("--ui-statement-timeout-ms must be > 0");
  if (port < 0) return std::nullopt;
  chart_page_plan plan;
  plan.options.address = s.str("ui.address");
  plan.options.port = static_cast<std::uint16_t>(port);
  plan.options.app.limits.statement_timeout = std::chrono::milliseconds{timeout};
  plan.any_port_if_taken = default_port;
  return plan;
}

std::unique_ptr<ui::server> start_chart_page(const std::optional<chart_page_plan>& plan,
                                             const std::string& dsn) {
  if (!plan) return nullptr;
  ui::server_options o = plan->options;
  o.app.dsn = dsn;
  try {
    return std::make_unique<ui::server>(o);
  } catch (const std::exception& e) {
    if (plan->any_port_if_taken) {
      try {
        o.port = 0;
        return std::make_unique<ui::server>(o);
      } catch (const std::exception&) {
      }
    }
    log::warn("main", "chart_page_unavailable", {{"reason", e.what()}});
    return nullptr;
  }
}

} // namespace finstream::cli
