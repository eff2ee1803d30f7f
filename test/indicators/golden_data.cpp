// Test helper: CSV loading for golden comparisons (see golden_data.hpp). Files are parsed once
// per process and cached.
#include "golden_data.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "support/env.hpp"

namespace finstream::test {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto p = line.find(sep, start);
    out.push_back(line.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

double to_double(const std::string& s, const std::string& where) {
  if (s.empty()) return std::nan("");
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
    throw std::runtime_error("bad number '" + s + "' in " + where);
  return v;
}

std::string data_dir() {
  return source_dir() + "/test/data";
}

} // namespace

int golden_table::find(const std::string& column) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == column) return static_cast<int>(i);
  return -1;
}

const std::vector<golden_entry>& golden_manifest() {
  static const std::vector<golden_entry> manifest = [] {
    std::vector<golden_entry> out;
    for (const auto& line : lines_of(read_all(data_dir() + "/golden/manifest.txt"))) {
      if (line[0] == '#') continue;
      auto f = split(line, ' ');
      if (f.size() != 3) throw std::runtime_error("bad manifest line: " + line);
      out.push_back({f[0], f[1], f[2]});
    }
    return out;
  }();
  return manifest;
}

const input_series& load_input(const std::string& name) {
  static std::map<std::string, input_series> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const std::string path = data_dir() + "/indicators/inputs/" + name + ".csv";
  input_series s;
  auto lines = lines_of(read_all(path));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = split(lines[i], ',');
    if (f.size() != 6) throw std::runtime_error(path + ": bad line " + std::to_string(i + 1));
    s.dates.push_back(f[0]);
    s.bars.push_back({to_double(f[1], path), to_double(f[2], path), to_double(f[3], path),
                      to_double(f[4], path), to_double(f[5], path)});
  }
  return cache.emplace(name, std::move(s)).first->second;
}

const golden_table& load_golden(const golden_entry& e) {
  static std::map<std::string, golden_table> cache;
  const std::string key = e.input + "." + e.set;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const std::string path = data_dir() + "/golden/" + key + ".csv";
  golden_table t;
  auto lines = lines_of(read_all(path));
  if (lines.empty()) throw std::runtime_error(path + ": empty");
  auto header = split(lines[0], ',');
  t.columns.assign(header.begin() + 1, header.end());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = split(lines[i], ',');
    if (f.size() != header.size())
      throw std::runtime_error(path + ": bad line " + std::to_string(i + 1));
    t.dates.push_back(f[0]);
    std::vector<double> row;
    for (std::size_t j = 1; j < f.size(); ++j)
      row.push_back(to_double(f[j], path));
    t.rows.push_back(std::move(row));
  }
  return cache.emplace(key, std::move(t)).first->second;
}

bool same_bits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

} // namespace finstream::test
