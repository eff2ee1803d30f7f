// The agents' core: a task's fetch result cut into bounded bar batches for the processors.
#pragma once

#include <cstddef>
#include <vector>

#include "core/work.hpp"
#include "sources/source.hpp"

namespace finstream::engine {

/// Default bars per batch: ~1000 bars is ~100 KB of JSON, well under Kafka's 1 MB message limit.
inline constexpr std::size_t default_batch_bars = 1000;

/// Cuts `result` into batches of at most `max_bars` bars (seq 0, 1, ...; the last one flagged).
/// Events go with batch 0. A failure or an empty result is one batch carrying `last` (and the
/// error), so the processor can close the task either way.
std::vector<bar_batch> make_batches(const fetch_task& task, fetch_result result,
                                    std::size_t max_bars = default_batch_bars);

} // namespace finstream::engine
