// Kafka processor: a blocking actor consuming bar batches (group finstream-processors), computing
// indicators, and committing rows + states + offsets through its sink actor in one transaction.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/local_processor.hpp"
#include "actors/pg_stores.hpp"
#include "indicators/indicator_set.hpp"
#include "kafka/config.hpp"
#include "kafka/producer.hpp"

namespace finstream::actors {

struct kafka_processor_config {
  kafka::config kafka;
  std::string group = "finstream-processors";
  std::string topic = "stock_data_topic";
  std::string dlq_suffix = ".dlq";
  std::shared_ptr<kafka::producer> producer; // dead letters
  std::string dsn;                           // its own connection for claims and history reads
  sink_actor sink;                           // its own sink actor (own connection), in order
  indicators::indicator_set indicators = indicators::indicator_set::default_set();
  processor_options options;
  /// Called (from the actor's thread) when the processor refuses to go on: the data topic's
  /// partition count differs from the one recorded in PostgreSQL. The actor then ends.
  std::function<void(const std::string& reason)> on_fatal;
};

/// Runs until it receives stop_atom, then flushes, commits and leaves the group.
///
/// Exactly-once: the offsets of the partitions it owns live in PostgreSQL and advance only in the
/// transaction that writes the rows they cover. On assignment it claims the partitions (fencing
/// any previous owner) and starts each at its stored offset; on revocation it commits first; after
/// each PostgreSQL commit the same offsets go to Kafka asynchronously (for lag-based autoscaling).
/// Backpressure: with max_inflight commits outstanding it pauses every partition (still polling).
/// A fenced commit (someone else owns a partition) restarts the consumer session from scratch.
/// Partition layout: symbols follow the partition (key hash modulo the count), so a topic whose
/// partition count changed moves symbols between processors with their pending records behind.
/// The count is recorded in PostgreSQL on first use and checked at every assignment and every
/// 10 s; on a difference the processor stops consuming, reports through on_fatal and ends (see
/// docs/operations.md, "Changing the partitions of the data topic").
void kafka_processor(caf::blocking_actor* self, kafka_processor_config cfg);

} // namespace finstream::actors
