// Validation of ticker symbols: the only gate between user input and any request URL or SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace finstream {

/// Longest symbol accepted; Yahoo's longest real symbols (funds such as 0P000071W8.TO) are ~16.
inline constexpr std::size_t max_symbol_length = 24;

/// Returns nullopt when `symbol` is acceptable, else a one-line reason. Accepted: 1..24 characters
/// from [A-Z0-9.-=^_], first character a letter, digit or '^' (BRK-B, ^GSPC, EURUSD=X, GC=F,
/// 0P000071W8.TO, BTC-USD, WSKT.JK). Lower-case letters are rejected: callers normalise first.
std::optional<std::string> symbol_error(std::string_view symbol);

inline bool is_valid_symbol(std::string_view symbol) {
  return !symbol_error(symbol);
}

/// Throws std::invalid_argument("<context>: invalid symbol: <reason>") unless `symbol` is valid:
/// the guard in front of SQL and requests.
void require_valid_symbol(std::string_view symbol, std::string_view context);

/// Upper-cases ASCII letters and trims surrounding blanks (user input → canonical form).
std::string normalize_symbol(std::string_view symbol);

} // namespace finstream
