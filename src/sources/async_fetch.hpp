// One source::fetch run on a thread of its own, so that its caller can stop waiting for it (an
// orderly shutdown) without waiting for the fetch itself to end.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "sources/source.hpp"

namespace finstream {

/// Starts `src->fetch(symbol, from, to)` on a new thread at construction.
///
/// Threads and lifetimes: the fetch thread shares ownership of `src` and of the result slot, so
/// an async_fetch destroyed before its fetch returned leaves the thread to finish alone (it is
/// detached; its result is dropped and `src` is released when it ends). The caller must not use
/// `src` again until wait_for() returned true (a source is used by one thread at a time); after
/// an abandon it must not use it at all. A process that abandoned a fetch must end with
/// std::_Exit: static destructors would run under the still-working thread.
class async_fetch {
public:
  async_fetch(std::shared_ptr<source> src, std::string symbol, day_t from, day_t to);
  /// Joins the thread when the fetch has returned, else detaches it (abandon).
  ~async_fetch();
  async_fetch(const async_fetch&) = delete;
  async_fetch& operator=(const async_fetch&) = delete;

  /// Waits up to `timeout` for the fetch to return; true once it has (then at once).
  bool wait_for(std::chrono::milliseconds timeout);
  /// The fetch's result. Precondition: wait_for() returned true. Call once.
  fetch_result take();

private:
  struct slot;
  std::shared_ptr<slot> slot_;
  std::thread thread_;
};

} // namespace finstream
