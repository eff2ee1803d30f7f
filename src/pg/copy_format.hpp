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

/// The columns of technical_indicators written for rows: symbol, date, open, high, low, close,
/// adj_close, volume, then `columns` (the indicator columns the rows carry, e.g.
/// indicators::table_columns of the active set). Comma-separated, for COPY and INSERT column
/// lists. The names must be valid identifiers already (they come from the registry, never from
/// user text): throws std::invalid_argument otherwise.
std::string indicator_table_columns(const std::vector<std::string>& columns);
/// Same for the default set's columns (core/indicator_row.hpp's indicator_columns).
std::string indicator_table_columns();

/// COPY input for rows in the column order of indicator_table_columns(columns), preceded by a
/// column `seq` (the row's index in `rows`) when `with_seq`. Every row's values follow `columns`
/// (same count: throws std::invalid_argument otherwise). Non-finite doubles (NaN, ±inf) become
/// NULL and are counted in `non_finite`. Symbols must already be valid (core/symbol.hpp): throws
/// std::invalid_argument naming the first invalid one, before anything is encoded.
struct encoded_rows {
  std::string data;
  std::size_t rows = 0;
  std::size_t non_finite = 0;
};
encoded_rows encode_rows(const std::vector<indicator_row>& rows,
                         const std::vector<std::string>& columns, copy_format format,
                         bool with_seq);

} // namespace finstream::pg
