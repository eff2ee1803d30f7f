// Encoding of indicator rows as COPY FROM STDIN input, in PostgreSQL's text or binary format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/indicator_row.hpp"

namespace finstream::pg {

enum class copy_format { text, binary };

/// "text" / "binary"; parse_copy_format throws std::invalid_argument on anything else.
const char* to_string(copy_format f);
copy_format parse_copy_format(const std::string& s);

/// The columns of technical_indicators in table order: symbol, date, open, high, low, close,
/// adj_close, volume, then indicator_columns. Comma-separated, for COPY and INSERT column lists.
std::string indicator_table_columns();

/// COPY input for rows in the column order of indicator_table_columns(), preceded by a column
/// `seq` (the row's index in `rows`) when `with_seq`. Non-finite doubles (NaN, ±inf) become NULL
/// and are counted in `non_finite`. Symbols must already be valid (core/symbol.hpp): throws
/// std::invalid_argument naming the first invalid one, before anything is encoded.
struct encoded_rows {
  std::string data;
  std::size_t rows = 0;
  std::size_t non_finite = 0;
};
encoded_rows encode_rows(const std::vector<indicator_row>& rows, copy_format format, bool with_seq);

} // namespace finstream::pg
