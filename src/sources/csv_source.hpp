// `csv:DIR` source: one file per symbol (DIR/SYMBOL.csv, or DIR/SYMBOL.json holding a Yahoo chart
// body), in any format read_bar_file accepts.
#pragma once

#include <string>

#include "sources/source.hpp"

namespace finstream {

/// Reads DIR/SYMBOL.csv (else DIR/SYMBOL.json) on every fetch and returns its bars within
/// [from, to] and the file's split/dividend events within [from, to]. Prices are returned as the
/// file holds them (a yfinance export is already split-adjusted as of its download). Outcomes:
/// no such file → not_found; a file that cannot be read as bars → garbled (reason "file:line:
/// why"); from > to → bad_request. Rows skipped by the reader are not errors (see read_report).
/// Stateless apart from the directory: safe to use from several threads.
class csv_dir_source : public source {
public:
  explicit csv_dir_source(std::string dir)
      : dir_(std::move(dir)) {}
  fetch_result fetch(const std::string& symbol, day_t from, day_t to) override;
  const char* kind() const override { return "csv"; }
  const std::string& dir() const { return dir_; }

private:
  std::string dir_;
};

} // namespace finstream
