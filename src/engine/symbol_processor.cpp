// Per-symbol incremental processing: duplicates dropped, splits restated, full recompute when
// needed.
#include "engine/symbol_processor.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "core/log.hpp"
#include "indicators/table_columns.hpp"

namespace finstream::engine {

symbol_processor::symbol_processor(indicators::indicator_set prototype, history_store& store,
                                   std::size_t max_cached, std::size_t revision_window,
                                   std::int64_t set_version)
    : prototype_(std::move(prototype))
    , columns_(indicators::table_columns(prototype_))
    , set_version_(set_version)
    , store_(store)
    , max_cached_(std::max<std::size_t>(max_cached, 1))
    , revision_window_(revision_window) {
  scratch_.resize(prototype_.output_count());
}

void symbol_processor::set_indicators(indicators::indicator_set set, std::int64_t set_version) {
  columns_ = indicators::table_columns(set);
  prototype_ = std::move(set);
  set_version_ = set_version;
  scratch_.resize(prototype_.output_count());
  evict_all();
}

void symbol_processor::stamp(pending_output& out) const {
  if (out.set_version != set_version_) out.set_version = set_version_;
  if (out.columns != columns_) out.columns = columns_;
}

symbol_processor::context& symbol_processor::get(const std::string& symbol) {
  auto i = cache_.find(symbol);
  if (i != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, i->second.lru);
    return i->second;
  }
  return insert(symbol, store_.load_checkpoint(symbol));
}

void symbol_processor::preload(const std::vector<std::string>& symbols) {
  std::vector<std::string> missing;
  for (const auto& s : symbols)
    if (!cache_.count(s) && std::find(missing.begin(), missing.end(), s) == missing.end())
      missing.push_back(s);
  if (missing.empty()) return;
  auto stored = store_.load_checkpoints(missing);
  for (const auto& s : missing) {
    auto it = stored.find(s);
    insert(s, it == stored.end() ? std::nullopt : std::optional<stored_checkpoint>{it->second});
  }
}

symbol_processor::context&
symbol_processor::insert(const std::string& symbol,
                         const std::optional<stored_checkpoint>& stored) {
  context ctx{symbol_checkpoint{}, prototype_, false, 0, {}, {}};
  if (stored) {
    try {
      ctx.cp = symbol_checkpoint::decode(stored->bytes);
      if (stored->algo_version != indicators::indicator_set::algorithm_version) {
        ctx.stale = true;
      } else {
        auto missing = ctx.set.restore_available(ctx.cp.indicator_state);
        if (ctx.cp.has_bars) ctx.missing = std::move(missing);
        // An extension's state saved by a set that lacked some active indicator cannot go on:
        // the symbol is recomputed from its stored rows (which keeps the extension going).
        if (ctx.cp.ext && !ctx.cp.ext->state.empty()) {
          auto probe = prototype_;
          if (!probe.restore_available(ctx.cp.ext->state).empty()) ctx.stale = true;
        }
      }
    } catch (const std::exception& e) {
      // State written by another configuration or corrupted: the rows are still there, so the
      // indicators are rebuilt from them on the next batch.
      log::warn("processor", "checkpoint_unusable", {{"symbol", symbol}, {"reason", e.what()}});
      ctx.stale = true;
      ctx.set = prototype_;
    }
  }
  lru_.push_front(symbol);
  ctx.lru = lru_.begin();
  return cache_.emplace(symbol, std::move(ctx)).first->second;
}

bool symbol_processor::needs_history(const bar_batch& batch) {
  if (!batch.error.empty()) return false;
  auto& ctx = get(batch.symbol);
  if (ctx.stale || !ctx.missing.empty()) return true;
  if (!ctx.cp.has_bars) return false;
  for (const auto& s : batch.splits)
    if (!ctx.cp.split_applied(s.date) && ctx.cp.first_date < s.date) return true;
  const bool back = !batch.bars.empty() && batch.bars.front().date < ctx.cp.first_date;
  // An extension reads the stored rows only when it reaches them (or the task ends).
  const auto closes = [&](day_t resume_at) {
    return batch.last || (!batch.bars.empty() && batch.bars.back().date >= resume_at);
  };
  if (ctx.cp.ext) return back || closes(ctx.cp.ext->resume_at);
  return back && closes(ctx.cp.first_date);
}

void symbol_processor::emit(const std::string& symbol, context& ctx, const bar& b,
                            pending_output& out, bool keep) {
  auto& window = ctx.cp.window;
  if (keep && revision_window_ > 0) {
    window.push_back({b, ctx.set.save()});
    if (window.size() > revision_window_) window.erase(window.begin());
  } else {
    window.clear();
  }
  ctx.set.update(b, scratch_.data());
  auto& row = out.rows.emplace_back();
  row.symbol = symbol;
  row.b = b;
  row.values.assign(scratch_.begin(), scratch_.end());
  if (!ctx.cp.has_bars) {
    ctx.cp.has_bars = true;
    ctx.cp.first_date = b.date;
  }
  ctx.cp.last_date = b.date;
}

void symbol_processor::process(const bar_batch& batch, pending_output& out) {
  stamp(out);
  auto& ctx = get(batch.symbol);
  if (!batch.error.empty()) {
    ++stats_.failed_tasks;
    out.outcomes.push_back(
        {batch.symbol, batch.task_id, batch.from, batch.to, false, batch.permanent, batch.error,
         batch.throttled});
    return;
  }
  stats_.bars_in += batch.bars.size();
  // Splits this symbol's stored rows do not reflect yet. Splits at or before the first processed
  // bar, or already applied (a redelivered task), change nothing.
  std::vector<split_event> new_splits;
  for (const auto& s : batch.splits) {
    if (ctx.cp.split_applied(s.date)) continue;
    if (ctx.cp.has_bars && ctx.cp.first_date < s.date)
      new_splits.push_back(s);
    else
      ctx.cp.mark_split_applied(s.date);
  }
  // Bars before the first processed one extend history backwards (a backfill of an earlier range):
  // every later indicator value depends on them.
  // A task's batches arrive oldest first, so such an extension spans several batches: see extend().
  const bool extends_back =
      ctx.cp.has_bars && !batch.bars.empty() && batch.bars.front().date < ctx.cp.first_date;
  const bool extending = extends_back || ctx.cp.ext.has_value();
  if (!ctx.stale && new_splits.empty() && !extending && !ctx.missing.empty())
    ctx.stale = !fill_missing(batch.symbol, ctx, out);
  // The rare combinations (a split, a stale state or an added indicator during an extension, an
  // extension of an extension) recompute everything stored; recompute() keeps the extension going.
  if (ctx.stale || !new_splits.empty() || (extending && !ctx.missing.empty()) ||
      (extends_back && ctx.cp.ext)) {
    recompute(batch.symbol, ctx, batch, new_splits, out);
  } else if (extending) {
    extend(batch.symbol, ctx, batch, out);
  } else if (auto at = older(ctx, batch) ? std::nullopt : revision_point(ctx, batch.bars)) {
    revise(batch.symbol, ctx, *at, batch.bars, out);
  } else {
    const auto n = batch.bars.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto& b = batch.bars[i];
      if (ctx.cp.has_bars && b.date <= ctx.cp.last_date) {
        ++stats_.duplicates;
        continue;
      }
      emit(batch.symbol, ctx, b, out, n - i <= revision_window_);
    }
  }
  if (!batch.bars.empty()) ctx.cp.generation = std::max(ctx.cp.generation, batch.generation);
  ctx.cp.indicator_state = ctx.set.save();
  out.checkpoints[batch.symbol] = ctx.cp.encode();
  ctx.dirty = output_gen_;
  if (batch.last) {
    // The task completes through the last date its source vouched for (a session still open
    // today is fetched again by a later task).
    day_t through =
        batch.complete_through != 0 ? std::min(batch.complete_through, batch.to) : batch.to;
    out.outcomes.push_back({batch.symbol, batch.task_id, batch.from, through, true, false, {}});
  }
}

namespace {

bool same_bits(const bar& a, const bar& b) {
  // Bit for bit (a NaN equals itself): the sessions a source sent twice unchanged are dropped.
  auto eq = [](double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; };
  return a.date == b.date && eq(a.open, b.open) && eq(a.high, b.high) && eq(a.low, b.low) &&
         eq(a.close, b.close) && eq(a.adj_close, b.adj_close) && a.volume == b.volume;
}

} // namespace

namespace {

/// Puts `b` into `history` (ascending by date): a session it lacks is inserted, a stored one is
/// replaced when `restates` (a source may restate history, e.g. in post-split units).
void merge_bar(std::vector<bar>& history, const bar& b, bool restates) {
  auto it = std::lower_bound(history.begin(), history.end(), b.date,
                             [](const bar& x, day_t d) { return x.date < d; });
  if (it != history.end() && it->date == b.date) {
    if (restates) *it = b;
  } else {
    history.insert(it, b);
  }
}

} // namespace

bool symbol_processor::older(const context& ctx, const bar_batch& batch) {
  return batch.generation != 0 && batch.generation < ctx.cp.generation;
}

std::optional<std::size_t> symbol_processor::revision_point(const context& ctx,
                                                            const std::vector<bar>& bars) const {
  const auto& window = ctx.cp.window;
  if (window.empty() || !ctx.cp.has_bars) return std::nullopt;
  for (const auto& b : bars) {
    if (b.date < window.front().b.date) continue; // before the window: a duplicate
    if (b.date > ctx.cp.last_date) break;         // new bars from here on (ascending)
    auto it = std::lower_bound(
        window.begin(), window.end(), b.date,
        [](const symbol_checkpoint::window_entry& w, day_t d) { return w.b.date < d; });
    if (it != window.end() && same_bits(it->b, b)) continue;
    // Revised, or a session the source did not have before: the first (earliest) one wins.
    return static_cast<std::size_t>(it - window.begin());
  }
  return std::nullopt;
}

void symbol_processor::revise(const std::string& symbol, context& ctx, std::size_t at,
                              const std::vector<bar>& bars, pending_output& out) {
  ++stats_.revisions;
  auto& window = ctx.cp.window;
  // The sessions from the one at `at` on (or from a new session just after the one before it) as
  // the source now reports them: the stored ones, replaced or completed by the batch's.
  const day_t after = at > 0 ? window[at - 1].b.date : window[at].b.date - 1;
  std::vector<bar> sessions;
  sessions.reserve(window.size() - at + bars.size());
  for (std::size_t i = at; i < window.size(); ++i)
    sessions.push_back(window[i].b);
  for (const auto& b : bars) {
    if (b.date <= after) {
      ++stats_.duplicates; // unchanged (revision_point found the first difference after it)
      continue;
    }
    auto it = std::lower_bound(sessions.begin(), sessions.end(), b.date,
                               [](const bar& x, day_t d) { return x.date < d; });
    if (it != sessions.end() && it->date == b.date) {
      if (!same_bits(*it, b)) ++stats_.revised_bars;
      *it = b;
    } else {
      if (b.date <= ctx.cp.last_date) ++stats_.revised_bars;
      sessions.insert(it, b);
    }
  }
  if (!ctx.set.restore_available(window[at].state_before).empty())
    throw std::logic_error("processor: revision window state lacks an active indicator");
  window.resize(at); // the entries before the restart stay valid
  const auto n = sessions.size();
  for (std::size_t i = 0; i < n; ++i)
    emit(symbol, ctx, sessions[i], out, n - i <= revision_window_);
  log::info("processor", "revision",
            {{"symbol", symbol}, {"from", format_date(sessions.front().date)}, {"bars", n}});
}

void symbol_processor::recompute(const std::string& symbol, context& ctx, const bar_batch& batch,
                                 const std::vector<split_event>& new_splits, pending_output& out) {
  ++stats_.recomputes;
  auto history = store_.load_bars(symbol);
  auto splits = new_splits;
  std::sort(splits.begin(), splits.end(),
            [](const split_event& a, const split_event& b) { return a.date < b.date; });
  for (const auto& s : splits) {
    for (auto& b : history)
      if (b.date < s.date) apply_split(b, s);
    ctx.cp.mark_split_applied(s.date);
  }
  // New bars extend the history; a bar of an already stored date replaces it (a source may restate
  // history, e.g. after a split it reports in post-split units).
  // Not by a fetch older than the stored sessions' (see older()).
  day_t stored_last = history.empty() ? 0 : history.back().date;
  const bool restates = !older(ctx, batch);
  for (const auto& b : batch.bars) {
    if (!history.empty() && b.date <= stored_last) {
      merge_bar(history, b, restates);
    } else {
      history.push_back(b);
      stored_last = b.date;
    }
  }
  // A gap in the stored history that later batches of the same task fill: an extension in
  // progress, or one this batch starts without reaching the stored rows. The extension goes on
  // from the last session known to follow its predecessors without a gap (the frontier): this
  // batch's last bar before the gap when it reaches further back (the stored rows after it may be
  // an earlier extension's, with a gap of their own), else the further of the extension's and the
  // batch's. Later batches recompute everything after the frontier (see extend()).
  const day_t old_first = ctx.cp.first_date;
  const bool further_back =
      ctx.cp.has_bars && !batch.bars.empty() && batch.bars.front().date < old_first;
  std::optional<day_t> gap_end;
  if (ctx.cp.ext)
    gap_end = ctx.cp.ext->resume_at;
  else if (further_back)
    gap_end = old_first;
  const bool gap_stays =
      gap_end && !batch.last && (batch.bars.empty() || batch.bars.back().date < *gap_end);
  std::optional<symbol_checkpoint::extension> ext;
  if (gap_stays) {
    day_t frontier = further_back || !ctx.cp.ext ? 0 : ctx.cp.ext->last;
    for (const auto& b : batch.bars)
      if (b.date < *gap_end) frontier = std::max(frontier, b.date);
    ext = symbol_checkpoint::extension{*gap_end, frontier, {}};
  }
  ctx.set = prototype_;
  ctx.cp.has_bars = false;
  ctx.cp.window.clear();
  ctx.cp.ext.reset();
  ctx.stale = false;
  ctx.missing.clear();
  for (std::size_t i = 0; i < history.size(); ++i) {
    emit(symbol, ctx, history[i], out, history.size() - i <= revision_window_);
    if (ext && history[i].date == ext->last) ext->state = ctx.set.save();
  }
  ctx.cp.ext = std::move(ext);
  log::info("processor", "recompute",
            {{"symbol", symbol},
             {"bars", history.size()},
             {"splits", splits.size()},
             {"extension_open", ctx.cp.ext.has_value()}});
}

void symbol_processor::extend(const std::string& symbol, context& ctx, const bar_batch& batch,
                              pending_output& out) {
  if (!ctx.cp.ext) {
    ctx.cp.ext = symbol_checkpoint::extension{ctx.cp.first_date, 0, {}};
    log::info("processor", "extension_started",
              {{"symbol", symbol},
               {"from", format_date(batch.bars.front().date)},
               {"resume_at", format_date(ctx.cp.first_date)}});
  }
  auto& ext = *ctx.cp.ext;
  auto set = prototype_;
  if (!ext.state.empty()) set.restore(ext.state); // complete: insert() marks it stale otherwise
  const auto& bars = batch.bars;
  std::size_t i = 0;
  std::size_t emitted = 0;
  for (; i < bars.size() && bars[i].date < ext.resume_at; ++i) {
    const auto& b = bars[i];
    if (ext.last != 0 && b.date <= ext.last) { // a redelivered batch of the extension
      ++stats_.duplicates;
      continue;
    }
    set.update(b, scratch_.data());
    auto& row = out.rows.emplace_back();
    row.symbol = symbol;
    row.b = b;
    row.values.assign(scratch_.begin(), scratch_.end());
    ext.last = b.date;
    ctx.cp.first_date = std::min(ctx.cp.first_date, b.date);
    ++emitted;
  }
  if (!batch.last && i == bars.size()) { // the task's later batches go on from here
    ext.state = set.save();
    return;
  }
  // The extension reached the stored rows (or its task ends here): every stored session after
  // its last bar (the stored rows, and an earlier extension's when this one started further
  // back), as this batch restates them, computed again after the extension's bars.
  const day_t resume_at = ext.resume_at;
  const day_t after = ext.last;
  auto stored = store_.load_bars(symbol);
  std::vector<bar> history;
  history.reserve(stored.size() + bars.size() - i);
  for (auto& b : stored)
    if (after == 0 || b.date > after) history.push_back(b);
  const bool restates = !older(ctx, batch);
  for (; i < bars.size(); ++i)
    merge_bar(history, bars[i], restates);
  ++stats_.extensions;
  ctx.set = std::move(set);
  ctx.cp.window.clear();
  const day_t ext_last = ext.last;
  ctx.cp.ext.reset();
  if (history.empty()) { // nothing stored after the extension (the rows were deleted)
    ctx.cp.last_date = ext_last;
  }
  for (std::size_t k = 0; k < history.size(); ++k)
    emit(symbol, ctx, history[k], out, history.size() - k <= revision_window_);
  log::info("processor", "extension_closed",
            {{"symbol", symbol},
             {"first_date", format_date(ctx.cp.first_date)},
             {"resume_at", format_date(resume_at)},
             {"bars", emitted},
             {"recomputed", history.size()}});
}

bool symbol_processor::fill_missing(const std::string& symbol, context& ctx, pending_output& out) {
  const auto started = std::chrono::steady_clock::now();
  const auto history = store_.load_bars(symbol);
  if (history.empty() || history.back().date != ctx.cp.last_date ||
      history.front().date != ctx.cp.first_date)
    return false;
  const auto& missing = ctx.missing;
  auto part = prototype_.subset(missing);
  column_fill fill;
  for (auto i : missing)
    for (auto& c : indicators::table_columns(prototype_, i))
      fill.columns.push_back(std::move(c));
  // The revision window's states before each of its sessions gain the added indicators' states
  // before the same session.
  auto& window = ctx.cp.window;
  std::vector<std::string> part_before(window.size());
  std::size_t w = 0;
  const std::size_t k = part.output_count();
  std::vector<double> values(k);
  fill.rows.reserve(history.size());
  for (const auto& b : history) {
    while (w < window.size() && window[w].b.date < b.date)
      ++w;
    if (w < window.size() && window[w].b.date == b.date) part_before[w] = part.save();
    part.update(b, values.data());
    auto& row = fill.rows.emplace_back();
    row.symbol = symbol;
    row.b = b;
    row.values = values;
  }
  for (std::size_t i = 0; i < window.size(); ++i) {
    if (part_before[i].empty()) { // a window session not among the stored rows: drop the window
      window.clear();
      break;
    }
    auto before = prototype_;
    before.restore_available(window[i].state_before);
    auto part_then = prototype_.subset(missing);
    part_then.restore(part_before[i]);
    before.adopt(part_then, missing);
    window[i].state_before = before.save();
  }
  ctx.set.adopt(part, missing);
  ++stats_.fills;
  stats_.filled_rows += fill.rows.size();
  // ms: reading the stored bars and computing (the UPDATE is part of the next commit).
  log::info("processor", "fill",
            {{"symbol", symbol},
             {"rows", fill.rows.size()},
             {"columns", fill.columns.size()},
             {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count()}});
  if (!out.fills.empty() && out.fills.back().columns == fill.columns)
    out.fills.back().rows.insert(out.fills.back().rows.end(),
                                 std::make_move_iterator(fill.rows.begin()),
                                 std::make_move_iterator(fill.rows.end()));
  else
    out.fills.push_back(std::move(fill));
  ctx.missing.clear();
  return true;
}

bool symbol_processor::fill(const std::string& symbol, pending_output& out) {
  stamp(out);
  auto& ctx = get(symbol);
  if (!ctx.cp.has_bars && !ctx.stale) return false;
  // During an extension the added indicators need its state too: recompute (which keeps it).
  if (!ctx.stale && !ctx.missing.empty())
    ctx.stale = ctx.cp.ext.has_value() || !fill_missing(symbol, ctx, out);
  if (ctx.stale) {
    bar_batch none;
    none.symbol = symbol;
    none.last = false; // not the end of a task: an extension in progress stays open
    recompute(symbol, ctx, none, {}, out);
  }
  ctx.cp.indicator_state = ctx.set.save();
  out.checkpoints[symbol] = ctx.cp.encode();
  ctx.dirty = output_gen_;
  return true;
}

void symbol_processor::committed(std::uint64_t generation) {
  for (auto& [symbol, ctx] : cache_)
    if (ctx.dirty != 0 && ctx.dirty <= generation) ctx.dirty = 0;
  shrink();
}

void symbol_processor::committed() {
  for (auto& [symbol, ctx] : cache_)
    ctx.dirty = 0;
  shrink();
}

void symbol_processor::shrink() {
  while (cache_.size() > max_cached_) {
    // Walk from the least recently used end to the first clean entry.
    auto it = lru_.end();
    bool evicted = false;
    while (it != lru_.begin()) {
      --it;
      auto c = cache_.find(*it);
      if (c->second.dirty == 0) {
        cache_.erase(c);
        lru_.erase(it);
        evicted = true;
        break;
      }
    }
    if (!evicted) return;
  }
}

void symbol_processor::evict(const std::string& symbol) {
  auto i = cache_.find(symbol);
  if (i == cache_.end()) return;
  lru_.erase(i->second.lru);
  cache_.erase(i);
}

void symbol_processor::evict_unless(const std::function<bool(const std::string&)>& keep) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (keep(it->first)) {
      ++it;
      continue;
    }
    lru_.erase(it->second.lru);
    it = cache_.erase(it);
  }
}

void symbol_processor::evict_all() {
  cache_.clear();
  lru_.clear();
}

} // namespace finstream::engine
