// One source::fetch on a thread of its own (see async_fetch.hpp).
#include "sources/async_fetch.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace finstream {

struct async_fetch::slot {
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<fetch_result> result; // set once, under mutex
};

async_fetch::async_fetch(std::shared_ptr<source> src, std::string symbol, day_t from, day_t to)
    : slot_(std::make_shared<slot>()) {
  thread_ = std::thread([s = slot_, src = std::move(src), symbol = std::move(symbol), from, to] {
    fetch_result r = [&]() -> fetch_result {
      try {
        return src->fetch(symbol, from, to);
      } catch (const std::exception& e) {
        // A source reports failures as fetch_error; anything thrown is a defect, kept visible.
        return fetch_error{fetch_error_kind::network, std::string{"fetch threw: "} + e.what(), 0,
                           0};
      }
    }();
    std::lock_guard<std::mutex> lock(s->mutex);
    s->result = std::move(r);
    s->ready.notify_all();
  });
}

async_fetch::~async_fetch() {
  bool done;
  {
    std::lock_guard<std::mutex> lock(slot_->mutex);
    done = slot_->result.has_value();
  }
  if (done)
    thread_.join(); // it is past its last use of the slot: the join is immediate
  else
    thread_.detach();
}

bool async_fetch::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(slot_->mutex);
  return slot_->ready.wait_for(lock, timeout, [&] { return slot_->result.has_value(); });
}

fetch_result async_fetch::take() {
  std::lock_guard<std::mutex> lock(slot_->mutex);
  if (!slot_->result) throw std::logic_error("async_fetch::take before the fetch returned");
  fetch_result r = std::move(*slot_->result);
  return r;
}

} // namespace finstream
