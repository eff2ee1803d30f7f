// Routing and page assembly of the chart page (see app.hpp).
#include "ui/app.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/symbol.hpp"
#include "indicators/indicator_set.hpp"
#include "ui/page.hpp"
#include "ui/stored_columns.hpp"

namespace finstream::ui {

namespace {

struct bad_request : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

response html(int status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The stored columns of one of the default set's indicators, or empty strings when it is not
// stored (the page then leaves that part out).
std::vector<std::string> default_columns(const char* spec, const std::vector<std::string>& stored,
                                         std::size_t outputs) {
  try {
    std::vector<std::string> out;
    for (const auto& rc : resolve_columns(indicators::indicator_set::parse(spec), stored))
      out.push_back(rc.column);
    return out;
  } catch (const std::invalid_argument&) {
    return std::vector<std::string>(outputs);
  }
}

chart_columns columns_for(const std::vector<std::string>& stored) {
  chart_columns c;
  c.sma = default_columns("sma(20)", stored, 1)[0];
  c.ema = default_columns("ema(20)", stored, 1)[0];
  auto bb = default_columns("bbands(20,2)", stored, 3);
  c.bb_upper = bb[0];
  c.bb_middle = bb[1];
  c.bb_lower = bb[2];
  c.rsi = default_columns("rsi(14)", stored, 1)[0];
  auto macd = default_columns("macd(12,26,9)", stored, 3);
  c.macd = macd[0];
  c.macd_signal = macd[1];
  c.macd_hist = macd[2];
  auto shown = c.all();
  for (const auto& s : stored)
    if (std::find(shown.begin(), shown.end(), s) == shown.end())
      c.available.emplace_back(s, display_name(s));
  return c;
}

} // namespace

std::string url_decode(std::string_view text) {
  auto hex = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

app::app(app_options options)
    : options_(std::move(options)) {}

app::~app() = default;

std::unique_ptr<pg::connection> app::acquire() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  // A page should fail fast (503) rather than hang while the database is away.
  pg::reconnect_policy quick;
  quick.give_up_after = std::chrono::seconds{3};
  quick.connect_timeout_s = 3;
  return std::make_unique<pg::connection>(options_.dsn, quick);
}

void app::release(std::unique_ptr<pg::connection> c) {
  if (!c || !c->is_ok()) return;
  std::lock_guard<std::mutex> guard{mutex_};
  idle_.push_back(std::move(c));
}

class app::lease {
public:
  explicit lease(app& a)
      : app_(a)
      , conn_(a.acquire()) {}
  ~lease() { app_.release(std::move(conn_)); }
  pg::connection& operator*() { return *conn_; }

private:
  app& app_;
  std::unique_ptr<pg::connection> conn_;
};

response app::handle(std::string_view target) {
  auto q = target.find('?');
  std::string path = url_decode(target.substr(0, q));
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  try {
    if (path == "/") return index();
    if (path.rfind("/chart/", 0) == 0) return chart(path.substr(7), query);
    if (path == "/favicon.ico") return response{204, "text/plain", ""};
    return html(404, render_error(404, "Not found", "There is no page at " + path + "."));
  } catch (const bad_request& e) {
    return html(400, render_error(400, "Bad request", e.what()));
  } catch (const pg::pg_error& e) {
    if (e.sqlstate() == "57014")
      return html(503, render_error(503, "The database is busy",
                                    "The query did not finish within " +
                                        std::to_string(options_.limits.statement_timeout.count()) +
                                        " ms and was cancelled. Try a shorter range or again "
                                        "later."));
    log::warn("ui", "query_failed", {{"error", e.what()}});
    if (e.kind() == pg::error_kind::connection)
      return html(503, render_error(503, "The database is unavailable",
                                    "finstream cannot reach PostgreSQL right now."));
    return html(500, render_error(500, "Internal error", "A database query failed (logged)."));
  } catch (const std::exception& e) {
    log::error("ui", "request_failed", {{"error", e.what()}});
    return html(500, render_error(500, "Internal error", "The page could not be built (logged)."));
  }
}

response app::index() {
  lease c{*this};
  return html(200, render_index(load_symbol_list(*c, options_.limits)));
}

response app::chart(std::string_view symbol_text, std::string_view query) {
  const std::string symbol = normalize_symbol(symbol_text);
  if (auto err = symbol_error(symbol)) throw bad_request("Not a valid symbol: " + *err + ".");
  chart_query cq;
  std::vector<std::string> extras;
  bool range_given = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = item.find('=');
    std::string key = url_decode(item.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : url_decode(item.substr(eq + 1));
    if (key == "range") {
      if (!find_range(value)) throw bad_request("Unknown range '" + value + "'.");
      cq.range = value;
      range_given = true;
    } else if (key == "from" || key == "to") {
      if (!value.empty() && !parse_date(value))
        throw bad_request("'" + value + "' is not a date (YYYY-MM-DD).");
      (key == "from" ? cq.from : cq.to) = value;
    } else if (key == "add") {
      if (!value.empty() && std::find(extras.begin(), extras.end(), value) == extras.end())
        extras.push_back(value);
    }
  }
  std::optional<day_t> from, to;
  if (!cq.from.empty()) from = parse_date(cq.from);
  if (!cq.to.empty()) to = parse_date(cq.to);
  if (from && to && *to < *from) throw bad_request("The range ends before it starts.");
  int days = find_range(cq.range)->days;
  if (from || to) {
    cq.range.clear(); // custom range
    days = 366;
  } else if (!range_given) {
    cq.range = "1y";
  }
  if (!from && days == 0) from = make_day(1900, 1, 1); // all

  lease c{*this};
  auto stored = read_only(*c, options_.limits, [&] { return stored_indicator_columns(*c); });
  auto cols = columns_for(stored);
  for (const auto& e : extras) {
    if (std::find(stored.begin(), stored.end(), e) == stored.end())
      throw bad_request("No stored indicator column '" + e + "'.");
    auto shown = cols.all();
    if (std::find(shown.begin(), shown.end(), e) == shown.end()) cols.extras.push_back(e);
  }
  auto s = load_series(*c, symbol, from, to, days, cols.all(), options_.limits);
  if (!s)
    return html(404, render_error(404, "Unknown symbol " + symbol,
                                  "No row is stored for " + symbol +
                                      ": it is not in the universe, or has not been fetched "
                                      "yet."));
  return html(200, render_chart(*s, cols, cq));
}

} // namespace finstream::ui
