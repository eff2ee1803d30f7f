// Stored column names of indicator outputs (see table_columns.hpp).
#include "indicators/table_columns.hpp"

namespace finstream::indicators {

namespace {

bool identifier(const std::string& s) {
  if (s.empty() || s.size() > 63 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool is_default_item(const indicator_spec& item) {
  static const indicator_set defaults = indicator_set::default_set();
  for (const auto& d : defaults.items())
    if (d.info == item.info && d.params == item.params) return true;
  return false;
}

} // namespace

std::vector<std::string> table_columns(const indicator_set& set, std::size_t i) {
  const auto& item = set.items().at(i);
  const bool bare = is_default_item(item);
  std::vector<std::string> out;
  const std::size_t first = set.output_offset(i);
  for (std::size_t k = 0; k < item.info->outputs.size(); ++k) {
    std::string name = bare ? set.output_names()[first + k] : set.column_names()[first + k];
    // Parameters such as 2.5 give "bb_upper_20_2.5": not an identifier, so not stored.
    if (!identifier(name))
      throw spec_error("indicator column '" + name +
                       "' is not a valid column name (fractional or negative parameters cannot be "
                       "stored; use whole numbers)");
    out.push_back(std::move(name));
  }
  return out;
}

std::vector<std::string> table_columns(const indicator_set& set) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < set.items().size(); ++i)
    for (auto& c : table_columns(set, i))
      out.push_back(std::move(c));
  return out;
}

} // namespace finstream::indicators
