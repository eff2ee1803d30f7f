// Helpers shared by the end-to-end scenarios: symbol lists, `finstream run` arguments, progress
// queries, metric scraping.
#pragma once

#include <string>
#include <vector>

#include "harness.hpp"

namespace finstream::e2e {

/// "S000", "S001", ... (synthetic symbols).
std::vector<std::string> synthetic_symbols(int n, const std::string& prefix = "S");

std::string join(const std::vector<std::string>& v);

/// Arguments of `finstream run` on the test database and topics, metrics on an ephemeral port.
std::vector<std::string> run_args(const std::string& roles, const test_database& db,
                                  const kafka_names& k, const std::vector<std::string>& symbols,
                                  const std::string& from, const std::string& to,
                                  std::vector<std::string> extra = {});

/// Symbols whose last task is done (symbol_state).
long long done_symbols(const test_database& db);

/// The value of a metric series (exact name with labels) from /metrics; -1 when absent.
long long metric(int port, const std::string& series);

/// Occurrences of `needle` in `text` (e.g. log events of a process).
std::size_t count(const std::string& text, const std::string& needle);

} // namespace finstream::e2e
