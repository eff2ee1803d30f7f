// Unit tests of async_fetch: results come back, and a fetch can be abandoned without waiting.
#include "sources/async_fetch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

using namespace finstream;
using namespace std::chrono_literals;

namespace {

/// A source whose fetch blocks until release() (or answers at once when not gated).
class gated_source : public source {
public:
  explicit gated_source(bool gated)
      : open_(!gated) {}
  fetch_result fetch(const std::string& symbol, day_t from, day_t to) override {
    ++calls;
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return open_; });
    bar_series s;
    s.symbol = symbol;
    bar b;
    b.date = from;
    b.open = b.high = b.low = b.close = b.adj_close = 1.5;
    s.bars.push_back(b);
    s.complete_through = to;
    return s;
  }
  const char* kind() const override { return "gated"; }
  void release() {
    std::lock_guard<std::mutex> lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  std::atomic<int> calls{0};

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_;
};

} // namespace

TEST_CASE("async_fetch returns the source's result", "[sources][async_fetch]") {
  auto src = std::make_shared<gated_source>(false);
  async_fetch f{src, "AAPL", 100, 105};
  REQUIRE(f.wait_for(10s));
  auto r = f.take();
  REQUIRE(std::holds_alternative<bar_series>(r));
  const auto& s = std::get<bar_series>(r);
  CHECK(s.symbol == "AAPL");
  REQUIRE(s.bars.size() == 1);
  CHECK(s.bars[0].date == 100);
  CHECK(s.complete_through == 105);
  CHECK(f.wait_for(0ms)); // stays ready
}

TEST_CASE("an abandoned async_fetch does not wait for the fetch, which ends alone",
          "[sources][async_fetch]") {
  auto src = std::make_shared<gated_source>(true);
  // Polls `cond` until it holds (10 s at most).
  auto eventually = [](const auto& cond) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!cond() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    return cond();
  };
  {
    async_fetch f{src, "MSFT", 100, 105};
    REQUIRE(eventually([&] { return src->calls == 1; })); // inside the blocked fetch
    CHECK_FALSE(f.wait_for(20ms));
    // Leaving the scope abandons it: the destructor returns while the fetch still blocks.
  }
  CHECK(src.use_count() == 2); // the fetch thread still holds the source
  src->release();
  CHECK(eventually([&] { return src.use_count() == 1; })); // released when its fetch returned
}
