// `csv:DIR` source (see csv_source.hpp).
#include "sources/csv_source.hpp"

#include <algorithm>
#include <filesystem>

#include "core/symbol.hpp"
#include "sources/bar_files.hpp"

namespace finstream {

fetch_result csv_dir_source::fetch(const std::string& symbol, day_t from, day_t to) {
  if (from > to)
    return fetch_error{
        fetch_error_kind::bad_request,
        "range starts after it ends (" + format_date(from) + " > " + format_date(to) + ")", 0, 0};
  // Validated again here: the symbol becomes a file name (no '/' can pass).
  if (auto err = symbol_error(symbol))
    return fetch_error{fetch_error_kind::bad_request, *err, 0, 0};
  std::string path = dir_ + "/" + symbol + ".csv";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::string json = dir_ + "/" + symbol + ".json";
    if (!std::filesystem::is_regular_file(json, ec))
      return fetch_error{fetch_error_kind::not_found, "no file " + path, 0, 1};
    path = json;
  }
  bar_series all;
  try {
    read_report report;
    all = read_bar_file(path, report);
  } catch (const bar_file_error& e) {
    return fetch_error{fetch_error_kind::garbled, e.what(), 0, 1};
  }
  bar_series out;
  out.symbol = symbol;
  out.meta = all.meta;
  for (const auto& b : all.bars)
    if (b.date >= from && b.date <= to) out.bars.push_back(b);
  for (const auto& s : all.splits)
    if (s.date >= from && s.date <= to) out.splits.push_back(s);
  for (const auto& d : all.dividends)
    if (d.date >= from && d.date <= to) out.dividends.push_back(d);
  return out;
}

} // namespace finstream
