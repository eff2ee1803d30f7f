// A stable, non-cryptographic 64-bit hash (FNV-1a): the same value in every process and version.
#pragma once

#include <cstdint>
#include <string_view>

namespace finstream {

/// FNV-1a, 64 bit. Hand-written because it is six lines and must never change: it seeds the
/// synthetic market, routes symbols to in-process processors and checksums saved states.
constexpr std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

} // namespace finstream
