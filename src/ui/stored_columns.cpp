// Stored indicator columns and their mapping to indicator specs (see stored_columns.hpp).
#include "ui/stored_columns.hpp"

#include <algorithm>

namespace finstream::ui {

namespace {

bool is_price_column(const std::string& c) {
  return std::any_of(std::begin(price_columns), std::end(price_columns),
                     [&](const char* p) { return c == p; });
}

bool same_item(const indicators::indicator_spec& a, const indicators::indicator_spec& b) {
  return a.info == b.info && a.params == b.params;
}

// The default set's item and output index producing the bare output `name`, or nullptr.
const indicators::indicator_spec* default_item_of(const std::string& name, std::size_t* column) {
  static const auto defaults = indicators::indicator_set::default_set();
  std::size_t col = 0;
  for (const auto& item : defaults.items()) {
    for (const char* out : item.info->outputs) {
      if (name == out) {
        if (column) *column = col;
        return &item;
      }
      ++col;
    }
  }
  return nullptr;
}

} // namespace

std::vector<std::string> stored_indicator_columns(pg::connection& c) {
  auto r = c.exec("SELECT a.attname FROM pg_attribute a "
                  "WHERE a.attrelid = 'technical_indicators'::regclass AND a.attnum > 0 "
                  "AND NOT a.attisdropped AND a.atttypid = 'double precision'::regtype "
                  "ORDER BY a.attnum");
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i)
    if (!is_price_column(r.str(i, 0))) out.push_back(r.str(i, 0));
  return out;
}

std::vector<resolved_column> resolve_columns(const indicators::indicator_set& set,
                                             const std::vector<std::string>& stored) {
  auto has = [&](const std::string& c) {
    return std::find(stored.begin(), stored.end(), c) != stored.end();
  };
  std::vector<resolved_column> out;
  std::size_t col = 0;
  for (const auto& item : set.items()) {
    for (const char* output : item.info->outputs) {
      const std::string& name = set.column_names()[col++];
      if (has(name)) {
        out.push_back({name, name});
        continue;
      }
      const auto* def = default_item_of(output, nullptr);
      if (has(output) && def && same_item(*def, item)) {
        out.push_back({name, output});
        continue;
      }
      std::string known;
      for (const auto& s : stored)
        known += (known.empty() ? "" : ", ") + display_name(s);
      throw std::invalid_argument(name + " is not stored in technical_indicators (stored: " +
                                  (known.empty() ? std::string{"none"} : known) + ")");
    }
  }
  return out;
}

std::string display_name(const std::string& column) {
  static const auto defaults = indicators::indicator_set::default_set();
  std::size_t col = 0;
  if (default_item_of(column, &col)) return defaults.column_names()[col];
  return column;
}

} // namespace finstream::ui
