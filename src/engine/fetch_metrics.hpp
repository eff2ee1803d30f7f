// Metrics and logs of an agent's fetch: tasks fetched / failed by reason, bars fetched.
#pragma once

#include "core/work.hpp"
#include "sources/source.hpp"

namespace finstream::engine {

/// Counts and logs the outcome of fetching `task` (thread-safe; the global metrics registry).
void record_fetch(const fetch_task& task, const fetch_result& result, const char* source_kind);

/// Registers the agents' series at start-up, so that a scrape shows them (at 0) before any work.
void register_fetch_metrics();

} // namespace finstream::engine
