// Loading recorded Yahoo exchanges with simdjson's On-Demand API (raw_json keeps the body's exact
// text, so tests and the replay server serve what Yahoo sent byte for byte).
#include "sources/recording.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <simdjson.h>

namespace finstream::test {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string query_param(std::string_view query, std::string_view key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto part = query.substr(pos, amp == std::string_view::npos ? query.npos : amp - pos);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == key)
      return percent_decode(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return {};
}

recording load_recording(const std::string& path) {
  recording r;
  r.file = std::filesystem::path(path).filename().string();
  r.fake = r.file.find(".fake.") != std::string::npos;
  auto fail = [&](const std::string& why) { return std::runtime_error(path + ": " + why); };
  simdjson::padded_string text = simdjson::padded_string::load(path);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(text).get(doc)) throw fail("not JSON");
  std::string_view url;
  if (doc["request"]["url"].get_string().get(url)) throw fail("no request.url");
  r.url = std::string{url};
  simdjson::ondemand::object response;
  if (doc["response"].get_object().get(response)) throw fail("no response");
  std::int64_t status;
  if (response["status"].get_int64().get(status)) throw fail("no response.status");
  r.status = static_cast<int>(status);
  simdjson::ondemand::object body;
  std::string_view raw;
  if (response["bodyJson"].get_object().get(body) || body.raw_json().get(raw))
    throw fail("no response.bodyJson object");
  // The recordings are pretty-printed; Yahoo sends compact JSON. simdjson::minify only drops
  // whitespace outside strings, so every number keeps its recorded text.
  r.body.resize(raw.size());
  std::size_t len = 0;
  if (simdjson::minify(raw.data(), raw.size(), r.body.data(), len))
    throw fail("bodyJson cannot be minified");
  r.body.resize(len);

  auto marker = r.url.find("/v8/finance/chart/");
  if (marker == std::string::npos) throw fail("not a chart URL");
  auto start = marker + std::string_view("/v8/finance/chart/").size();
  auto q = r.url.find('?', start);
  r.symbol = percent_decode(std::string_view(r.url).substr(
      start, q == std::string::npos ? std::string::npos : q - start));
  std::string_view query =
      q == std::string::npos ? std::string_view{} : std::string_view(r.url).substr(q + 1);
  r.interval = query_param(query, "interval");
  r.period1 = std::stoll("0" + query_param(query, "period1"));
  r.period2 = std::stoll("0" + query_param(query, "period2"));
  return r;
}

std::vector<recording> load_recordings(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  std::vector<recording> out;
  for (const auto& p : paths)
    out.push_back(load_recording(p));
  return out;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  if (pos == std::string::npos) throw std::runtime_error("replace_once: '" + from + "' not found");
  text.replace(pos, from.size(), to);
  return text;
}

} // namespace finstream::test
