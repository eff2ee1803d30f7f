// Tests of a processor session's commits in flight: replies that outlive their session are
// recognised, never credited to the next session, and the count never goes below zero.
#include <catch2/catch.hpp>

#include <string>

#include "engine/session_commits.hpp"

using namespace finstream::engine;

namespace {

commit_reply reply_to(const commit_request& req, bool ok = true) {
  commit_reply r;
  r.ok = ok;
  r.session = req.session;
  return r;
}

} // namespace

TEST_CASE("replies are matched to this session's commits in order") {
  session_commits<std::string> s{7};
  commit_request a, b;
  s.sent(a, "a");
  s.sent(b, "b");
  CHECK(a.session == 7);
  CHECK(b.session == 7);
  CHECK(s.in_flight() == 2);
  CHECK(s.replied(reply_to(a)) == std::optional<std::string>{"a"});
  CHECK(s.replied(reply_to(b, false)) == std::optional<std::string>{"b"});
  CHECK(s.in_flight() == 0);
  CHECK(s.stale() == 0);
}

TEST_CASE("a reply that outlived its session is stale: not credited, the count never negative") {
  // Session 1 sent two commits and failed; it stopped waiting for them (the abandon deadline
  // passed: the database was down longer). Session 2 starts on the same actor and sends one.
  session_commits<std::string> first{1};
  commit_request old1, old2;
  first.sent(old1, "old1");
  first.sent(old2, "old2");
  session_commits<std::string> second{2};
  // A late reply with nothing of session 2 in flight: dropped, nothing goes negative.
  CHECK_FALSE(second.replied(reply_to(old1)).has_value());
  CHECK(second.in_flight() == 0);
  CHECK(second.stale() == 1);
  // With a commit of session 2 in flight, the other late reply is not taken for it.
  commit_request mine;
  second.sent(mine, "mine");
  CHECK_FALSE(second.replied(reply_to(old2)).has_value());
  CHECK(second.in_flight() == 1);
  CHECK(second.stale() == 2);
  CHECK(second.replied(reply_to(mine)) == std::optional<std::string>{"mine"});
  CHECK(second.in_flight() == 0);
  // A reply of this session when none is in flight (answered twice) is stale too.
  CHECK_FALSE(second.replied(reply_to(mine)).has_value());
  CHECK(second.stale() == 3);
}
