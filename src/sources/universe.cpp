// Universe file reader (see universe.hpp).
#include "sources/universe.hpp"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "core/symbol.hpp"

namespace finstream {

universe_error::universe_error(const std::string& file, std::size_t line, const std::string& reason)
    : std::runtime_error((line ? file + ":" + std::to_string(line) : file) + ": " + reason)
    , line_(line) {}

std::vector<std::string> parse_universe(std::string_view text, const std::string& name) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) continue;
    auto e = line.find_last_not_of(" \t\r");
    line = line.substr(b, e - b + 1);
    if (line.find_first_of(" \t,;") != std::string_view::npos)
      throw universe_error(name, line_no, "one symbol per line expected");
    std::string symbol = normalize_symbol(line);
    if (auto err = symbol_error(symbol)) throw universe_error(name, line_no, *err);
    if (seen.insert(symbol).second) out.push_back(std::move(symbol));
  }
  return out;
}

std::vector<std::string> read_universe(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw universe_error(path, 0, "cannot open file");
  std::ostringstream s;
  s << in.rdbuf();
  return parse_universe(s.str(), path);
}

} // namespace finstream
