// Token bucket and circuit breaker (see limits.hpp for the contracts).
#include "sources/limits.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace finstream {

token_bucket::token_bucket(double rate, double burst)
    : rate_(rate)
    , burst_(burst)
    , tokens_(burst)
    , last_(steady_clock::now()) {
  if (!(rate > 0) || !(burst >= 1))
    throw std::invalid_argument("token bucket needs rate > 0 and burst >= 1");
}

steady_clock::duration token_bucket::reserve(steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (now > last_) {
    tokens_ =
        std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return steady_clock::duration::zero();
  return std::chrono::duration_cast<steady_clock::duration>(
      std::chrono::duration<double>(-tokens_ / rate_));
}

void token_bucket::acquire() {
  auto wait = reserve(steady_clock::now());
  if (wait > steady_clock::duration::zero()) std::this_thread::sleep_for(wait);
}

circuit_breaker::circuit_breaker(settings s)
    : settings_(s)
    , current_open_(s.open_for) {
  if (s.threshold < 1) throw std::invalid_argument("circuit breaker threshold must be >= 1");
}

bool circuit_breaker::allow(steady_clock::time_point now, steady_clock::duration& retry_in) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == state::open && now >= open_until_) state_ = state::half_open;
  switch (state_) {
  case state::closed:
    return true;
  case state::open:
    retry_in = open_until_ - now;
    return false;
  case state::half_open:
    if (probe_in_flight_) {
      retry_in = std::chrono::seconds(1); // the probe's outcome decides; ask again soon
      return false;
    }
    probe_in_flight_ = true;
    return true;
  }
  return true;
}

void circuit_breaker::on_throttled(steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == state::half_open) {
    probe_in_flight_ = false;
    current_open_ = std::min(settings_.max_open, current_open_ * 2);
    state_ = state::open;
    open_until_ = now + current_open_;
    ++opened_;
    return;
  }
  if (state_ == state::open) return; // an answer to a request sent before the breaker opened
  if (++consecutive_ >= settings_.threshold) {
    state_ = state::open;
    current_open_ = settings_.open_for;
    open_until_ = now + current_open_;
    consecutive_ = 0;
    ++opened_;
  }
}

void circuit_breaker::on_success() {
  std::lock_guard<std::mutex> lock(mutex_);
  consecutive_ = 0;
  probe_in_flight_ = false;
  if (state_ == state::half_open) {
    state_ = state::closed;
    current_open_ = settings_.open_for;
  }
}

void circuit_breaker::on_neutral() {
  std::lock_guard<std::mutex> lock(mutex_);
  probe_in_flight_ = false;
}

circuit_breaker::state circuit_breaker::current(steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == state::open && now >= open_until_) state_ = state::half_open;
  return state_;
}

int circuit_breaker::times_opened() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return opened_;
}

std::shared_ptr<host_limits> host_limits_registry::for_host(const std::string& host) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = hosts_[host];
  if (!slot) slot = std::make_shared<host_limits>(rate_, burst_, settings_);
  return slot;
}

} // namespace finstream
