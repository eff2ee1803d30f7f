// Merging of batches and the count/age batching policy (see batch.hpp).
#include "pg/batch.hpp"

#include <stdexcept>

namespace finstream::pg {

void batch::append(batch&& later) {
  if (!rows.empty() && !later.rows.empty() && columns != later.columns)
    throw std::invalid_argument("pg::batch: rows of different indicator columns");
  if (!states.empty() && !later.states.empty() && set_version != later.set_version)
    throw std::invalid_argument("pg::batch: states of different indicator set versions");
  // Validate the offset merges first so that a failure leaves *this untouched.
  std::vector<std::optional<std::size_t>> target(later.offsets.size());
  for (std::size_t i = 0; i < later.offsets.size(); ++i) {
    const auto& n = later.offsets[i];
    for (std::size_t j = 0; j < offsets.size(); ++j) {
      const auto& o = offsets[j];
      if (o.consumer_group != n.consumer_group || o.topic != n.topic || o.partition != n.partition)
        continue;
      if (o.epoch != n.epoch || n.expected_prev != o.next)
        throw std::invalid_argument("pg::batch: offsets of " + n.topic + "/" +
                                    std::to_string(n.partition) +
                                    " do not chain (epoch or expected offset differs)");
      target[i] = j;
    }
  }
  for (std::size_t i = 0; i < later.offsets.size(); ++i) {
    if (target[i])
      offsets[*target[i]].next = later.offsets[i].next;
    else
      offsets.push_back(std::move(later.offsets[i]));
  }
  if (rows.empty()) {
    rows = std::move(later.rows);
    columns = std::move(later.columns);
  } else
    rows.insert(rows.end(), std::make_move_iterator(later.rows.begin()),
                std::make_move_iterator(later.rows.end()));
  fills.insert(fills.end(), std::make_move_iterator(later.fills.begin()),
               std::make_move_iterator(later.fills.end()));
  if (states.empty()) set_version = later.set_version;
  states.insert(states.end(), std::make_move_iterator(later.states.begin()),
                std::make_move_iterator(later.states.end()));
  completions.insert(completions.end(), std::make_move_iterator(later.completions.begin()),
                     std::make_move_iterator(later.completions.end()));
  later = batch{};
}

void batcher::add(batch&& part, clock::time_point now) {
  if (part.empty()) return;
  pending_.append(std::move(part));
  if (!oldest_) oldest_ = now;
}

bool batcher::due(clock::time_point now) const {
  if (pending_.empty()) return false;
  return pending_.rows.size() >= limits_.max_rows ||
         (oldest_ && now - *oldest_ >= limits_.max_delay);
}

std::optional<batcher::clock::time_point> batcher::deadline() const {
  if (pending_.empty() || !oldest_) return std::nullopt;
  return *oldest_ + limits_.max_delay;
}

batch batcher::take() {
  batch out = std::move(pending_);
  pending_ = batch{};
  oldest_.reset();
  return out;
}

} // namespace finstream::pg
