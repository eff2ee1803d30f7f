// The chart page of `finstream local` and `finstream run` (see chart_page.hpp).
#include "cli/chart_page.hpp"

#include <stdexcept>

#include "core/log.hpp"

namespace finstream::cli {

std::unique_ptr<ui::server> start_chart_page(const settings& s, const std::string& dsn,
                                             bool on_by_default) {
  const std::string& port_text = s.str("ui.port");
  const bool fallback = port_text.empty();
  if (fallback && !on_by_default) return nullptr;
  long long port = fallback ? 8080 : s.integer("ui.port");
  if (port < 0) return nullptr;
  if (port > 65535) throw std::invalid_argument("--ui-port must be -1..65535");
  auto timeout = s.integer("ui.statement_timeout_ms");
  if (timeout < 1) throw std::invalid_argument("--ui-statement-timeout-ms must be > 0");
  ui::server_options o;
  o.address = s.str("ui.address");
  o.port = static_cast<std::uint16_t>(port);
  o.app.dsn = dsn;
  o.app.limits.statement_timeout = std::chrono::milliseconds{timeout};
  try {
    return std::make_unique<ui::server>(o);
  } catch (const std::exception& e) {
    if (fallback) {
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
