// Yahoo replay server: Beast async HTTP/1.1 server (one io thread) over TCP or TLS, recordings
// pre-split into raw JSON tokens so that a window of bars is served byte for byte as recorded.
#include "sources/yahoo_replay.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <simdjson.h>

#include "sources/recording.hpp"

namespace finstream::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- scripts ----------------------------------------------------------------------------------

replay_step parse_step(std::string_view text) {
  replay_step s;
  std::string_view name = text, arg;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    name = text.substr(0, colon);
    arg = text.substr(colon + 1);
  }
  auto number = [&](const char* what) {
    if (arg.empty() || arg.find_first_not_of("0123456789") != std::string_view::npos)
      throw std::invalid_argument("replay step '" + std::string{text} + "': " + what +
                                  " must be a number");
    return std::stoi(std::string{arg});
  };
  using a = replay_step::action;
  if (name == "ok")
    s.act = a::ok;
  else if (name == "429") {
    s.act = a::throttle;
    if (!arg.empty()) s.retry_after = number("Retry-After");
  } else if (name == "403")
    s.act = a::forbidden;
  else if (name == "500") {
    s.act = a::server_error;
    if (!arg.empty()) s.retry_after = number("Retry-After");
  } else if (name == "html")
    s.act = a::html;
  else if (name == "html200")
    s.act = a::html200;
  else if (name == "delay") {
    s.act = a::delay;
    s.delay_ms = number("delay");
  } else if (name == "truncated")
    s.act = a::truncated;
  else if (name == "cut-json")
    s.act = a::cut_json;
  else if (name == "invalid-json")
    s.act = a::invalid_json;
  else if (name == "404")
    s.act = a::not_found;
  else if (name == "422")
    s.act = a::unprocessable;
  else if (name == "empty")
    s.act = a::empty;
  else if (name == "open-session")
    s.act = a::open_session;
  else if (name == "close")
    s.act = a::close;
  else
    throw std::invalid_argument("unknown replay step '" + std::string{text} + "'");
  if (!arg.empty() && s.act != a::throttle && s.act != a::server_error && s.act != a::delay)
    throw std::invalid_argument("replay step '" + std::string{text} + "' takes no argument");
  return s;
}

std::vector<replay_step> parse_script(std::string_view text) {
  std::vector<replay_step> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto b = text.find_first_not_of(" \t\r\n,;", pos);
    if (b == std::string_view::npos) break;
    auto e = text.find_first_of(" \t\r\n,;", b);
    out.push_back(parse_step(text.substr(b, e == std::string_view::npos ? text.npos : e - b)));
    pos = e == std::string_view::npos ? text.size() : e;
  }
  return out;
}

namespace {

const char* step_name(const replay_step& s) {
  using a = replay_step::action;
  switch (s.act) {
  case a::ok:
    return "ok";
  case a::throttle:
    return "429";
  case a::forbidden:
    return "403";
  case a::server_error:
    return "500";
  case a::html:
    return "html";
  case a::html200:
    return "html200";
  case a::delay:
    return "delay";
  case a::truncated:
    return "truncated";
  case a::cut_json:
    return "cut-json";
  case a::invalid_json:
    return "invalid-json";
  case a::not_found:
    return "404";
  case a::unprocessable:
    return "422";
  case a::empty:
    return "empty";
  case a::open_session:
    return "open-session";
  case a::close:
    return "close";
  }
  return "?";
}

// ---- recordings split into raw tokens ---------------------------------------------------------

struct served_event {
  std::string group; // "dividends", "splits", ...
  std::string key;   // epoch string
  std::int64_t date = 0;
  std::string raw; // the event object
};

struct served_series {
  std::string symbol;
  std::string file;
  std::int64_t period1 = 0, period2 = 0;
  std::string meta; // raw JSON object
  std::vector<std::int64_t> ts;
  std::vector<std::string> ts_raw;
  std::vector<std::pair<std::string, std::vector<std::string>>> quote; // key → raw values
  bool has_adj = false;
  std::vector<std::string> adj;
  std::vector<served_event> events;
};

std::string trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string{s};
}

void check(simdjson::error_code e, const std::string& file, const char* what) {
  if (e) throw std::runtime_error(file + ": " + what + ": " + simdjson::error_message(e));
}

std::vector<std::string> raw_array(simdjson::ondemand::value v, const std::string& file) {
  std::vector<std::string> out;
  simdjson::ondemand::array a;
  check(v.get_array().get(a), file, "array expected");
  for (auto el : a) {
    simdjson::ondemand::value x;
    check(el.get(x), file, "array element");
    out.push_back(trim(x.raw_json_token()));
  }
  return out;
}

/// Splits a daily chart body; nullopt when it is not a servable daily series.
std::optional<served_series> split_recording(const recording& r) {
  if (r.fake || (r.interval != "1d" && !r.interval.empty()) || r.status != 200) return std::nullopt;
  served_series s;
  s.symbol = r.symbol;
  s.file = r.file;
  s.period1 = r.period1;
  s.period2 = r.period2;
  simdjson::ondemand::parser parser;
  simdjson::padded_string text{r.body};
  simdjson::ondemand::document doc;
  check(parser.iterate(text).get(doc), r.file, "parse");
  simdjson::ondemand::array results;
  check(doc["chart"]["result"].get_array().get(results), r.file, "chart.result");
  for (auto res_el : results) {
    simdjson::ondemand::object res;
    check(res_el.get_object().get(res), r.file, "result[0]");
    for (auto field : res) {
      std::string_view key;
      check(field.unescaped_key().get(key), r.file, "key");
      simdjson::ondemand::value v = field.value();
      if (key == "meta") {
        simdjson::ondemand::object m;
        std::string_view raw;
        check(v.get_object().get(m), r.file, "meta");
        check(m.raw_json().get(raw), r.file, "meta raw");
        s.meta = std::string{raw};
      } else if (key == "timestamp") {
        s.ts_raw = raw_array(v, r.file);
        for (const auto& t : s.ts_raw)
          s.ts.push_back(std::stoll(t));
      } else if (key == "events") {
        simdjson::ondemand::object groups;
        check(v.get_object().get(groups), r.file, "events");
        for (auto g : groups) {
          std::string_view gname;
          check(g.unescaped_key().get(gname), r.file, "event group");
          simdjson::ondemand::object evs;
          check(g.value().get_object().get(evs), r.file, "event group object");
          for (auto e : evs) {
            std::string_view ekey, raw;
            check(e.unescaped_key().get(ekey), r.file, "event key");
            simdjson::ondemand::object eo;
            check(e.value().get_object().get(eo), r.file, "event");
            check(eo.raw_json().get(raw), r.file, "event raw");
            s.events.push_back({std::string{gname}, std::string{ekey},
                                std::stoll(std::string{ekey}), std::string{raw}});
          }
        }
      } else if (key == "indicators") {
        simdjson::ondemand::object ind;
        check(v.get_object().get(ind), r.file, "indicators");
        for (auto f : ind) {
          std::string_view iname;
          check(f.unescaped_key().get(iname), r.file, "indicator key");
          simdjson::ondemand::array arr;
          check(f.value().get_array().get(arr), r.file, "indicator array");
          for (auto first : arr) {
            simdjson::ondemand::object o;
            check(first.get_object().get(o), r.file, "indicator object");
            for (auto q : o) {
              std::string_view qname;
              check(q.unescaped_key().get(qname), r.file, "quote key");
              auto values = raw_array(q.value(), r.file);
              if (iname == "quote")
                s.quote.emplace_back(std::string{qname}, std::move(values));
              else if (iname == "adjclose" && qname == "adjclose") {
                s.has_adj = true;
                s.adj = std::move(values);
              }
            }
            break; // only the first element is meaningful
          }
        }
      }
    }
    break;
  }
  if (s.meta.empty()) throw std::runtime_error(r.file + ": no meta");
  return s;
}

std::string join(const std::vector<std::string>& v, const std::vector<std::size_t>& idx) {
  std::string out = "[";
  for (std::size_t i = 0; i < idx.size(); ++i) {
    if (i) out += ',';
    out += v[idx[i]];
  }
  return out + "]";
}

/// Replaces meta.currentTradingPeriod.regular by {start, end} (open_session).
std::string with_regular(const std::string& meta, std::int64_t start, std::int64_t end) {
  const std::string key = "\"regular\":{";
  auto pos = meta.find(key);
  std::string repl =
      "\"regular\":{\"start\":" + std::to_string(start) + ",\"end\":" + std::to_string(end) + "}";
  if (pos == std::string::npos) {
    // No trading period recorded: add one.
    return meta.substr(0, meta.size() - 1) + ",\"currentTradingPeriod\":{" + repl + "}}";
  }
  auto close = meta.find('}', pos);
  return meta.substr(0, pos) + repl + meta.substr(close + 1);
}

std::string render(const served_series& s, std::int64_t p1, std::int64_t p2, bool empty,
                   bool open_session) {
  std::vector<std::size_t> idx;
  if (!empty)
    for (std::size_t i = 0; i < s.ts.size(); ++i)
      if (s.ts[i] >= p1 && s.ts[i] <= p2) idx.push_back(i);
  std::string meta = s.meta;
  if (open_session && !idx.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    meta = with_regular(meta, s.ts[idx.back()], now + 3600);
  }
  std::string out = "{\"chart\":{\"result\":[{\"meta\":" + meta;
  if (idx.empty()) return out + ",\"indicators\":{\"quote\":[{}]}}],\"error\":null}}";
  out += ",\"timestamp\":" + join(s.ts_raw, idx);
  std::map<std::string, std::vector<const served_event*>> groups;
  for (const auto& e : s.events)
    if (e.date >= p1 && e.date <= p2) groups[e.group].push_back(&e);
  if (!groups.empty()) {
    out += ",\"events\":{";
    bool first_group = true;
    for (const auto& [g, evs] : groups) {
      out += (first_group ? "\"" : ",\"") + g + "\":{";
      first_group = false;
      for (std::size_t i = 0; i < evs.size(); ++i)
        out += (i ? ",\"" : "\"") + evs[i]->key + "\":" + evs[i]->raw;
      out += "}";
    }
    out += "}";
  }
  out += ",\"indicators\":{\"quote\":[{";
  for (std::size_t q = 0; q < s.quote.size(); ++q)
    out += (q ? ",\"" : "\"") + s.quote[q].first + "\":" + join(s.quote[q].second, idx);
  out += "}]";
  if (s.has_adj) out += ",\"adjclose\":[{\"adjclose\":" + join(s.adj, idx) + "}]";
  return out + "}}],\"error\":null}}";
}

std::string target_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  return query_param(target.substr(q + 1), key);
}

// Error bodies as Yahoo sends them.
const char* not_found_body = R"({"chart":{"result":null,"error":{"code":"Not Found",)"
                             R"("description":"No data found, symbol may be delisted"}}})";
const char* unprocessable_body =
    R"({"chart":{"result":null,"error":{"code":"Unprocessable Entity","description":)"
    R"("Invalid input - start date cannot be after end date. startDate = 1700000000, )"
    R"(endDate = 1600000000"}}})";
const char* server_error_body = R"({"finance":{"result":null,"error":{"code":"internal-error",)"
                                R"("description":"Something went wrong"}}})";
const char* html_body =
    "<!DOCTYPE html>\n<html lang=\"en-us\"><head><title>Yahoo</title></head><body>"
    "<h1>Will be right back...</h1><p>Thank you for your patience.</p></body></html>\n";

/// What to send for one request.
struct plan {
  enum class kind { response, truncated, close } what = kind::response;
  int status = 200;
  std::string content_type = "application/json;charset=utf-8";
  std::string body;
  int retry_after = -1;
  int delay_ms = 0;
};

} // namespace

// ---- the server -------------------------------------------------------------------------------

struct yahoo_replay::impl {
  options opt;
  std::map<std::string, std::vector<served_series>> series; // by symbol
  std::optional<ssl::context> tls; // declared before ioc: outlives the sessions ioc destroys
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<bool> stopped{false};

  mutable std::mutex mutex; // guards everything below
  std::map<std::string, std::vector<replay_step>> scripts;
  std::vector<replay_request> log;
  std::size_t connections = 0;

  replay_step next_step(const std::string& symbol) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const std::string& key : {symbol, std::string{"*"}}) {
      auto it = scripts.find(key);
      if (it != scripts.end() && !it->second.empty()) {
        auto step = it->second.front();
        it->second.erase(it->second.begin());
        return step;
      }
    }
    return replay_step{};
  }

  const served_series* pick(const std::string& symbol, std::int64_t p1, std::int64_t p2) const {
    auto it = series.find(symbol);
    if (it == series.end()) return nullptr;
    const served_series* best = nullptr;
    std::int64_t best_overlap = -1, best_len = -1;
    for (const auto& s : it->second) {
      const std::int64_t lo = s.ts.empty() ? s.period1 : s.ts.front();
      const std::int64_t hi = s.ts.empty() ? s.period2 : s.ts.back();
      const std::int64_t overlap = std::max<std::int64_t>(0, std::min(hi, p2) - std::max(lo, p1));
      const std::int64_t len = hi - lo;
      if (overlap > best_overlap || (overlap == best_overlap && len > best_len)) {
        best = &s;
        best_overlap = overlap;
        best_len = len;
      }
    }
    return best;
  }

  /// The request log: [{"symbol":"AAPL","received_ms":EPOCH_MS,"answer":"ok"},...] in arrival
  /// order.
  std::string requests_json() const {
    std::lock_guard<std::mutex> lock(mutex);
    std::string out = "[";
    for (const auto& r : log) {
      if (out.size() > 1) out += ",\n";
      out += "{\"symbol\":\"" + r.symbol + "\",\"received_ms\":" + std::to_string(r.received_ms) +
             ",\"answer\":\"" + r.answer + "\"}";
    }
    return out + "]";
  }

  std::string stats_json() const {
    std::lock_guard<std::mutex> lock(mutex);
    std::map<std::string, std::size_t> by;
    for (const auto& r : log)
      ++by[r.symbol];
    std::string out = "{\"requests\":" + std::to_string(log.size()) +
                      ",\"connections\":" + std::to_string(connections) + ",\"by_symbol\":{";
    bool first = true;
    for (const auto& [s, n] : by) {
      out += (first ? "\"" : ",\"") + s + "\":" + std::to_string(n);
      first = false;
    }
    return out + "}}";
  }

  /// Decides the answer to one request (runs on the io thread).
  /// `connection`: the session's index among connections that carried chart requests, 0 until
  /// its first one (assigned here).
  plan handle(const http::request<http::string_body>& req, std::size_t& connection,
              const std::string& sni) {
    plan p;
    const std::string target{req.target()};
    const std::string path = target.substr(0, target.find('?'));
    if (path.rfind("/__replay/", 0) == 0) {
      p.content_type = "application/json";
      if (path == "/__replay/stats" && req.method() == http::verb::get) {
        p.body = stats_json();
      } else if (path == "/__replay/requests" && req.method() == http::verb::get) {
        p.body = requests_json();
      } else if (path == "/__replay/reset" && req.method() == http::verb::post) {
        std::lock_guard<std::mutex> lock(mutex);
        scripts.clear();
        log.clear();
        connections = 0;
        p.status = 204;
      } else if (path.rfind("/__replay/script/", 0) == 0 && req.method() == http::verb::post) {
        try {
          auto steps = parse_script(req.body());
          std::lock_guard<std::mutex> lock(mutex);
          scripts[percent_decode(path.substr(17))] = std::move(steps);
          p.status = 204;
        } catch (const std::exception& e) {
          p.status = 400;
          p.content_type = "text/plain";
          p.body = std::string{e.what()} + "\n";
        }
      } else {
        p.status = 404;
        p.content_type = "text/plain";
        p.body = "unknown control endpoint\n";
      }
      return p;
    }
    const std::string marker = "/v8/finance/chart/";
    auto at = path.find(marker);
    if (at == std::string::npos || req.method() != http::verb::get) {
      p.status = 404;
      p.content_type = "text/html;charset=utf-8";
      p.body = "<html><body>404 Not Found</body></html>";
      return p;
    }
    replay_request logged;
    logged.received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    logged.symbol = percent_decode(path.substr(at + marker.size()));
    logged.target = target;
    logged.user_agent = std::string{req[http::field::user_agent]};
    logged.host_header = std::string{req[http::field::host]};
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (connection == 0) connection = ++connections;
    }
    logged.connection = connection;
    logged.sni = sni;
    const std::string p1s = target_param(target, "period1"), p2s = target_param(target, "period2");
    try {
      logged.period1 = p1s.empty() ? 0 : std::stoll(p1s);
      logged.period2 = p2s.empty() ? INT64_MAX : std::stoll(p2s);
    } catch (const std::exception&) {
      logged.period1 = 0;
      logged.period2 = -1;
    }
    const replay_step step = next_step(logged.symbol);
    logged.answer = step_name(step);
    {
      std::lock_guard<std::mutex> lock(mutex);
      log.push_back(logged);
    }
    using a = replay_step::action;
    p.retry_after = step.retry_after;
    const served_series* s = pick(logged.symbol, logged.period1, logged.period2);
    auto ok_body = [&](bool empty, bool open) {
      return render(*s, logged.period1, logged.period2, empty, open);
    };
    switch (step.act) {
    case a::throttle:
      p.status = 429;
      p.content_type = "text/plain;charset=utf-8";
      p.body = "Too Many Requests\r\n";
      return p;
    case a::forbidden:
      p.status = 403;
      p.content_type = "text/plain;charset=utf-8";
      p.body = "Forbidden\r\n";
      return p;
    case a::server_error:
      p.status = 500;
      p.body = server_error_body;
      return p;
    case a::html:
    case a::html200:
      p.status = step.act == a::html ? 503 : 200;
      p.content_type = "text/html; charset=utf-8";
      p.body = html_body;
      return p;
    case a::not_found:
      p.status = 404;
      p.body = not_found_body;
      return p;
    case a::unprocessable:
      p.status = 422;
      p.body = unprocessable_body;
      return p;
    case a::invalid_json:
      p.body =
          "{\"chart\":{\"result\":[{\"meta\":{\"currency\":\"USD\",\"symbol\":" + logged.symbol +
          "}}]}}";
      return p;
    case a::close:
      p.what = plan::kind::close;
      return p;
    default:
      break;
    }
    if (logged.period2 < logged.period1) {
      p.status = 422;
      p.body = unprocessable_body;
      return p;
    }
    if (!s) {
      p.status = 404;
      p.body = not_found_body;
      return p;
    }
    p.body = ok_body(step.act == a::empty, step.act == a::open_session);
    if (step.act == a::delay) p.delay_ms = step.delay_ms;
    if (step.act == a::cut_json) p.body = p.body.substr(0, p.body.size() / 2);
    if (step.act == a::truncated) p.what = plan::kind::truncated;
    return p;
  }

  void accept();
};

namespace {

/// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
public:
  session(yahoo_replay::impl& server, Stream stream)
      : server_(server)
      , stream_(std::move(stream))
      , timer_(stream_.get_executor()) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      stream_.async_handshake(
          ssl::stream_base::server, [self = this->shared_from_this()](error_code ec) {
            if (ec) return;
            if (const char* name =
                    SSL_get_servername(self->stream_.native_handle(), TLSEXT_NAMETYPE_host_name))
              self->sni_ = name;
            self->read();
          });
    }
  }

private:
  void read() {
    req_ = {};
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, req_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->answer();
                     });
  }

  void answer() {
    plan_ = server_.handle(req_, id_, sni_);
    if (plan_.what == plan::kind::close) return close();
    if (plan_.delay_ms > 0) {
      timer_.expires_after(std::chrono::milliseconds(plan_.delay_ms));
      timer_.async_wait([self = this->shared_from_this()](error_code) { self->write(); });
      return;
    }
    write();
  }

  void write() {
    if (plan_.what == plan::kind::truncated) {
      raw_ = "HTTP/1.1 200 OK\r\nContent-Type: " + plan_.content_type +
             "\r\nContent-Length: " + std::to_string(plan_.body.size()) +
             "\r\nConnection: close\r\n\r\n" + plan_.body.substr(0, plan_.body.size() / 2);
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
      asio::async_write(
          stream_, asio::buffer(raw_),
          [self = this->shared_from_this()](error_code, std::size_t) { self->close(); });
      return;
    }
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(plan_.status));
    res_.set(http::field::server, "yahoo_replay");
    if (plan_.status != 204) res_.set(http::field::content_type, plan_.content_type);
    if (plan_.retry_after >= 0)
      res_.set(http::field::retry_after, std::to_string(plan_.retry_after));
    res_.keep_alive(req_.keep_alive());
    res_.body() = std::move(plan_.body);
    res_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_write(stream_, res_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  yahoo_replay::impl& server_;
  Stream stream_;
  asio::steady_timer timer_;
  std::size_t id_ = 0;
  std::string sni_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  plan plan_;
  std::string raw_;
};

} // namespace

void yahoo_replay::impl::accept() {
  acceptor.async_accept(ioc, [this](error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopped) accept();
      return;
    }
    if (tls) {
      std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls))
          ->start();
    } else {
      std::make_shared<session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)))
          ->start();
    }
    accept();
  });
}

yahoo_replay::yahoo_replay(options o)
    : impl_(std::make_unique<impl>()) {
  impl& m = *impl_;
  m.opt = std::move(o);
  if (!m.opt.data_dir.empty())
    for (const auto& r : load_recordings(m.opt.data_dir))
      if (auto s = split_recording(r)) m.series[s->symbol].push_back(std::move(*s));
  if (!m.opt.cert_file.empty() || !m.opt.key_file.empty()) {
    m.tls.emplace(ssl::context::tls_server);
    m.tls->use_certificate_chain_file(m.opt.cert_file);
    m.tls->use_private_key_file(m.opt.key_file, ssl::context::pem);
  }
  tcp::endpoint ep{asio::ip::make_address(m.opt.bind), m.opt.port};
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(asio::socket_base::reuse_address(true));
  m.acceptor.bind(ep);
  m.acceptor.listen();
  m.accept();
  m.thread = std::thread([&m] { m.ioc.run(); });
}

yahoo_replay::~yahoo_replay() {
  stop();
}

void yahoo_replay::stop() {
  impl& m = *impl_;
  if (m.stopped.exchange(true)) return;
  asio::post(m.ioc, [&m] {
    error_code ignored;
    m.acceptor.close(ignored);
    m.ioc.stop();
  });
  if (m.thread.joinable()) m.thread.join();
}

unsigned short yahoo_replay::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string yahoo_replay::base_url() const {
  return impl_->tls ? "https://localhost:" + std::to_string(port())
                    : "http://127.0.0.1:" + std::to_string(port());
}

void yahoo_replay::script(const std::string& symbol, std::vector<replay_step> steps) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->scripts[symbol] = std::move(steps);
}

void yahoo_replay::reset() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->scripts.clear();
  impl_->log.clear();
  impl_->connections = 0;
}

std::size_t yahoo_replay::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->log.size();
}

std::size_t yahoo_replay::request_count(const std::string& symbol) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return static_cast<std::size_t>(
      std::count_if(impl_->log.begin(), impl_->log.end(),
                    [&](const replay_request& r) { return r.symbol == symbol; }));
}

std::vector<replay_request> yahoo_replay::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->log;
}

std::size_t yahoo_replay::connection_count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->connections;
}

std::vector<std::string> yahoo_replay::symbols() const {
  std::vector<std::string> out;
  for (const auto& [s, v] : impl_->series)
    out.push_back(s);
  return out;
}

// ---- self-signed certificate ------------------------------------------------------------------

std::pair<std::string, std::string> make_self_signed_cert(const std::string& dir) {
  auto fail = [](const char* what) {
    return std::runtime_error(std::string{"certificate: "} + what);
  };
  std::filesystem::create_directories(dir);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) throw fail("key generation failed");
  X509* cert = X509_new();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_guard(key, EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert_guard(cert, X509_free);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(
      X509_get_serialNumber(cert),
      static_cast<long>(std::chrono::system_clock::now().time_since_epoch().count() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 2 * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair<int, const char*>{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext || !X509_add_ext(cert, ext, -1)) throw fail("extension failed");
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert, key, EVP_sha256())) throw fail("signing failed");
  const std::string cert_path = dir + "/cert.pem", key_path = dir + "/key.pem";
  FILE* f = std::fopen(cert_path.c_str(), "wb");
  if (!f || !PEM_write_X509(f, cert)) throw fail("cannot write cert.pem");
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "wb");
  if (!f || !PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr))
    throw fail("cannot write key.pem");
  std::fclose(f);
  return {cert_path, key_path};
}

} // namespace finstream::test
