// CSV export through COPY TO (see export.hpp).
#include "ui/export.hpp"

#include <stdexcept>

#include "core/symbol.hpp"
#include "indicators/indicator_set.hpp"
#include "ui/stored_columns.hpp"

namespace finstream::ui {

export_layout export_layout_for(pg::connection& c, const std::string& spec) {
  auto set = indicators::indicator_set::parse(spec); // spec_error is an invalid_argument
  auto resolved = resolve_columns(set, stored_indicator_columns(c));
  export_layout out;
  out.header = "symbol,date,open,high,low,close,adj_close,volume";
  for (const auto& rc : resolved) {
    out.header += ',' + rc.name;
    out.columns.push_back(rc.column);
  }
  out.header += '\n';
  return out;
}

std::int64_t export_csv(pg::connection& c, const export_request& r,
                        const std::function<void(std::string_view)>& sink) {
  for (const auto& s : r.symbols)
    require_valid_symbol(s, "export");
  if (r.from && r.to && *r.to < *r.from) throw std::invalid_argument("--to is before --from");
  // Shortest exact text for doubles whatever the server's default (PostgreSQL >= 12).
  c.exec("SET extra_float_digits = 3");
  // COPY takes no parameters: the request's values go into a temporary table through a
  // parameterised INSERT, and the COPY joins it. Only quoted identifiers of existing columns are
  // written into the statement.
  c.exec("CREATE TEMP TABLE IF NOT EXISTS finstream_export_request "
         "(symbols text[], from_date date, to_date date) ON COMMIT DELETE ROWS");
  auto layout = export_layout_for(c, r.spec);
  std::string select = "t.symbol, t.date, t.open, t.high, t.low, t.close, t.adj_close, t.volume";
  for (const auto& col : layout.columns)
    select += ", t." + pg::quote_identifier(c, col);
  const std::string copy = "COPY (SELECT " + select +
                           " FROM technical_indicators t, finstream_export_request p"
                           " WHERE " +
                           std::string{r.symbols.empty() ? "true" : "t.symbol = ANY (p.symbols)"} +
                           " AND t.date >= coalesce(p.from_date, '-infinity'::date)"
                           " AND t.date <= coalesce(p.to_date, 'infinity'::date)"
                           " ORDER BY t.symbol, t.date) TO STDOUT (FORMAT csv)";
  pg::transaction tx{c};
  c.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  std::optional<std::string> symbols;
  if (!r.symbols.empty()) symbols = pg::array_of(r.symbols);
  std::optional<std::string> from, to;
  if (r.from) from = format_date(*r.from);
  if (r.to) to = format_date(*r.to);
  c.query("INSERT INTO finstream_export_request VALUES ($1::text[], $2::date, $3::date)", symbols,
          from, to);
  sink(layout.header);
  auto rows = c.copy_out(copy, sink);
  tx.commit();
  return rows;
}

} // namespace finstream::ui
