// One processor transaction: rows + symbol checkpoints + task outcomes + the partition offsets they
// cover, and the writer that commits it atomically (PostgreSQL in production).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/symbol_processor.hpp"

namespace finstream::engine {

/// A partition's position to store with a commit (Kafka transport only). The store accepts it only
/// when the partition is still claimed with `epoch` and its stored offset is `expected` (fencing).
struct offset_commit {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t epoch = 0;
  std::int64_t expected = 0; // next offset as stored by the previous commit (or the claim)
  std::int64_t next = 0;     // first offset not covered by this commit
};

/// One transaction's worth of processor output.
struct commit_request {
  pending_output output;
  std::string group; // consumer group owning `offsets` (empty without Kafka)
  std::vector<offset_commit> offsets;
  std::uint64_t session = 0; // the sending processor session, echoed in the reply
};

struct commit_reply {
  bool ok = false;
  bool fenced = false;     // a partition was claimed by someone else: nothing was written
  std::uint64_t rows = 0;  // rows upserted
  std::uint64_t nulls = 0; // non-finite values written as NULL
  double seconds = 0;      // commit latency
  std::string error;       // when !ok and !fenced
  std::uint64_t session = 0; // commit_request::session of the request answered
};

/// Commits requests atomically: all of a request or nothing. Retries transient failures itself
/// (reconnecting); a reply with !ok is final. Used from one thread at a time.
class batch_writer {
public:
  virtual ~batch_writer() = default;
  virtual commit_reply write(const commit_request& request) = 0;
};

} // namespace finstream::engine
