// Universe files: the list of symbols a deployment tracks, one per line.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace finstream {

/// A universe that cannot be used. what() = "file:line: reason" (line 0 when not line-specific).
class universe_error : public std::runtime_error {
public:
  universe_error(const std::string& file, std::size_t line, const std::string& reason);
  std::size_t line() const { return line_; }

private:
  std::size_t line_;
};

/// Parses a universe: one symbol per line; '#' starts a comment (whole line or after the symbol);
/// blank lines ignored; surrounding blanks trimmed; symbols normalised (upper case) then validated
/// with core/symbol.hpp. A second token on a line, or an invalid symbol, throws universe_error
/// naming the line. Duplicates are dropped (first occurrence kept); order of first occurrence is
/// kept.
std::vector<std::string> parse_universe(std::string_view text, const std::string& name);

/// Reads and parses a universe file; I/O errors throw universe_error (line 0).
std::vector<std::string> read_universe(const std::string& path);

} // namespace finstream
