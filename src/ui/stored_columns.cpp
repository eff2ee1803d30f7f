// Stored indicator columns and their mapping to indicator specs (see stored_columns.hpp).
#include "ui/stored_columns.hpp"

#include <algorithm>

#include "indicators/table_columns.hpp"

namespace finstream::ui {

namespace {

bool is_price_column(const std::string& c) {
  return std::any_of(std::begin(price_columns), std::end(price_columns),
                     [&](const char* p) { return c == p; });
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
  std::vector<std::string> columns;
  try {
    columns = indicators::table_columns(set);
  } catch (const indicators::spec_error&) {
    columns = set.column_names(); // not storable: reported as not stored below
  }
  std::vector<resolved_column> out;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    const std::string& name = set.column_names()[k];
    if (has(name)) { // a column named like the CLI's (another tool's table)
      out.push_back({name, name});
      continue;
    }
    if (has(columns[k])) {
      out.push_back({name, columns[k]});
      continue;
    }
    std::string known;
    for (const auto& s : stored)
      known += (known.empty() ? "" : ", ") + display_name(s);
    throw std::invalid_argument(name + " is not stored in technical_indicators (stored: " +
                                (known.empty() ? std::string{"none"} : known) + ")");
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
