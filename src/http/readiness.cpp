// Readiness checks (see readiness.hpp for the threading contract).
#include "http/readiness.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace finstream::http {

check_handle::check_handle(check_handle&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr))
    , id_(other.id_) {}

check_handle& check_handle::operator=(check_handle&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void check_handle::reset() noexcept {
  if (owner_) std::exchange(owner_, nullptr)->remove(id_);
}

readiness& readiness::global() {
  static readiness* instance = new readiness; // never destroyed: handles may die at exit
  return *instance;
}

check_handle readiness::add(std::string name, check_fn fn) {
  if (name.empty() || name.size() > 64)
    throw std::invalid_argument("readiness: check name must have 1..64 characters");
  for (char c : name)
    if (c <= 0x20 || c >= 0x7f || c == ',')
      throw std::invalid_argument("readiness: check name must be printable, without blanks/commas");
  if (!fn) throw std::invalid_argument("readiness: empty check");
  std::lock_guard<std::mutex> lock{mutex_};
  std::uint64_t id = next_id_++;
  checks_.emplace(id, entry{std::move(name), std::move(fn)});
  return check_handle{this, id};
}

std::vector<std::string> readiness::failing() const {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock{mutex_};
  for (const auto& [id, e] : checks_) {
    bool ok = false;
    try {
      ok = e.fn();
    } catch (...) {
      ok = false;
    }
    if (!ok) out.push_back(e.name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::size_t readiness::size() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return checks_.size();
}

void readiness::remove(std::uint64_t id) noexcept {
  std::lock_guard<std::mutex> lock{mutex_};
  checks_.erase(id);
}

} // namespace finstream::http
