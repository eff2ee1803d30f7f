// Every message type the actors exchange, with its inspect() and the one CAF type-ID block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "core/bar.hpp"
#include "core/indicator_row.hpp"
#include "core/work.hpp"
#include "engine/commit.hpp"
#include "engine/manager_core.hpp"

// inspect() for every message type (CAF 0.17 inspector API).

namespace finstream {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bar& x) {
  return f(caf::meta::type_name("bar"), x.date, x.open, x.high, x.low, x.close, x.adj_close,
           x.volume);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, split_event& x) {
  return f(caf::meta::type_name("split_event"), x.date, x.numerator, x.denominator);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dividend_event& x) {
  return f(caf::meta::type_name("dividend_event"), x.date, x.amount);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_task& x) {
  return f(caf::meta::type_name("fetch_task"), x.task_id, x.symbol, x.from, x.to, x.generation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bar_batch& x) {
  return f(caf::meta::type_name("bar_batch"), x.task_id, x.symbol, x.from, x.to, x.seq, x.last,
           x.complete_through, x.bars, x.splits, x.dividends, x.error, x.permanent, x.throttled,
           x.generation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, indicator_row& x) {
  return f(caf::meta::type_name("indicator_row"), x.symbol, x.b, x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, column_fill& x) {
  return f(caf::meta::type_name("column_fill"), x.columns, x.rows);
}

namespace engine {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_outcome& x) {
  return f(caf::meta::type_name("task_outcome"), x.symbol, x.task_id, x.from, x.to, x.ok,
           x.permanent, x.error, x.throttled);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_output& x) {
  return f(caf::meta::type_name("pending_output"), x.rows, x.checkpoints, x.outcomes, x.columns,
           x.fills, x.set_version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offset_commit& x) {
  return f(caf::meta::type_name("offset_commit"), x.topic, x.partition, x.epoch, x.expected,
           x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_request& x) {
  return f(caf::meta::type_name("commit_request"), x.output, x.group, x.offsets, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_reply& x) {
  return f(caf::meta::type_name("commit_reply"), x.ok, x.fenced, x.rows, x.nulls, x.seconds,
           x.error, x.session);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_progress& x) {
  return f(caf::meta::type_name("manager_progress"), x.symbols, x.planned, x.done, x.failed,
           x.in_flight, x.leader, x.idle, x.target_to);
}

} // namespace engine

} // namespace finstream

CAF_BEGIN_TYPE_ID_BLOCK(finstream, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(finstream, (finstream::fetch_task))
CAF_ADD_TYPE_ID(finstream, (finstream::bar_batch))
CAF_ADD_TYPE_ID(finstream, (finstream::engine::task_outcome))
CAF_ADD_TYPE_ID(finstream, (finstream::engine::commit_request))
CAF_ADD_TYPE_ID(finstream, (finstream::engine::commit_reply))
CAF_ADD_TYPE_ID(finstream, (finstream::engine::manager_progress))
CAF_ADD_TYPE_ID(finstream, (std::vector<finstream::fetch_task>))

CAF_ADD_ATOM(finstream, finstream::actors, get_task_atom, "get_task")
CAF_ADD_ATOM(finstream, finstream::actors, progress_atom, "progress")
CAF_ADD_ATOM(finstream, finstream::actors, next_atom, "next")
CAF_ADD_ATOM(finstream, finstream::actors, stop_atom, "stop")
CAF_ADD_ATOM(finstream, finstream::actors, fill_atom, "fill")

CAF_END_TYPE_ID_BLOCK(finstream)
