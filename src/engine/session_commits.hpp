// The commits one processor session has in flight, and which replies are theirs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "engine/commit.hpp"

namespace finstream::engine {

/// A processor session's commits in flight, oldest first, each with what its reply needs
/// (`Payload`: the offsets to publish, the output generation, ...). Every request carries the
/// session's id (commit_request::session) and the sink echoes it in its reply, so a reply that
/// outlives its session (its commit was still queued at the sink when the session failed and the
/// next one started, e.g. behind a PostgreSQL outage longer than the session's wait for it) is
/// recognised: it is counted as stale and changes nothing here. The count never goes below zero
/// and a stale reply is never credited to a commit of the current session.
///
/// The sink answers one session's commits in the order they were sent. Threads: the session's
/// thread only.
template <class Payload>
class session_commits {
public:
  explicit session_commits(std::uint64_t session)
      : session_(session) {}

  std::uint64_t session() const { return session_; }

  /// `request` is about to be sent: tags it with this session and keeps `payload` for its reply.
  void sent(commit_request& request, Payload payload) {
    request.session = session_;
    queue_.push_back(std::move(payload));
  }

  /// The payload of the commit `reply` answers (the oldest in flight), or nullopt when the reply
  /// is not one of this session's commits in flight: then it is counted in stale().
  std::optional<Payload> replied(const commit_reply& reply) {
    if (reply.session != session_ || queue_.empty()) {
      ++stale_;
      return std::nullopt;
    }
    Payload p = std::move(queue_.front());
    queue_.pop_front();
    return p;
  }

  std::size_t in_flight() const { return queue_.size(); }
  /// Replies received that were not this session's.
  std::uint64_t stale() const { return stale_; }

private:
  std::uint64_t session_;
  std::deque<Payload> queue_;
  std::uint64_t stale_ = 0;
};

} // namespace finstream::engine
