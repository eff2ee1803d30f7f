// Backfill requests: `finstream backfill` records "(re)fetch [from, to] for these symbols" in
// table backfill_requests; the leading manager takes each pending request once and plans it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "pg/connection.hpp"

namespace finstream::pg {

struct backfill_request {
  std::int64_t id = 0;
  std::vector<std::string> symbols; // empty: the whole universe
  day_t from = 0;
  day_t to = 0;
};

/// Records a request and returns its id. Symbols are validated before any SQL
/// (std::invalid_argument), as is the range (from <= to).
std::int64_t request_backfill(connection& c, const std::vector<std::string>& symbols, day_t from,
                              day_t to);

/// The pending requests, ascending by id, marked taken in the same statement: each request is
/// returned once, to one caller (concurrent callers skip each other's rows). At most once: if the
/// connection drops after the statement committed, those requests are not returned again.
std::vector<backfill_request> take_backfill_requests(connection& c);

} // namespace finstream::pg
