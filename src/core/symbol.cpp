// Symbol validation (character set and length; see symbol.hpp for the contract).
#include "core/symbol.hpp"

#include <stdexcept>

namespace finstream {

namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '=' ||
         c == '^' || c == '_';
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7f)
      out += c;
    else
      out += '?';
  }
  return out;
}

} // namespace

std::optional<std::string> symbol_error(std::string_view symbol) {
  if (symbol.empty()) return std::string{"empty symbol"};
  if (symbol.size() > max_symbol_length)
    return "symbol '" + printable(symbol) + "' is longer than " +
           std::to_string(max_symbol_length) + " characters";
  for (char c : symbol)
    if (!allowed(c))
      return "symbol '" + printable(symbol) + "' contains a character outside A-Z 0-9 . - = ^ _";
  char first = symbol.front();
  if (!((first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9') || first == '^'))
    return "symbol '" + printable(symbol) + "' must start with a letter, a digit or '^'";
  return std::nullopt;
}

void require_valid_symbol(std::string_view symbol, std::string_view context) {
  if (auto err = symbol_error(symbol))
    throw std::invalid_argument(std::string{context} + ": invalid symbol: " + *err);
}

std::string normalize_symbol(std::string_view symbol) {
  auto b = symbol.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = symbol.find_last_not_of(" \t\r\n");
  std::string out{symbol.substr(b, e - b + 1)};
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

} // namespace finstream
