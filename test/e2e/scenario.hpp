// Helpers shared by the end-to-end scenarios: symbol lists, `finstream run` arguments, progress
// queries, metric scraping.
#pragma once

#include <memory>
#include <string>
#include <utility>
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

/// Starts the Yahoo replay server (test/sources) on the recordings of `data_dir` (extra arguments
/// after them), its output in `log_path`; the process and its base URL.
std::pair<std::unique_ptr<process>, std::string>
start_yahoo_replay(const std::string& data_dir, const std::string& log_path,
                   const std::vector<std::string>& extra = {});

/// Starts the Yahoo replay server (test/sources) on the recorded responses (`extra`: e.g. its
/// --script flags); the process and its base URL.
std::pair<std::unique_ptr<process>, std::string> start_replay(const std::string& dir,
                                                              std::vector<std::string> extra = {});

/// Creates the test's topics and their dead-letter topics (`partitions` each) before a pipeline
/// starts, e.g. to put poison messages first in line.
void create_topics(const kafka_names& k, int partitions = 6);

/// The port of a replay base URL "http://127.0.0.1:PORT".
int url_port(const std::string& url);

/// The value of a metric series (exact name with labels) from /metrics; -1 when absent.
long long metric(int port, const std::string& series);

/// Occurrences of `needle` in `text` (e.g. log events of a process).
std::size_t count(const std::string& text, const std::string& needle);

} // namespace finstream::e2e
