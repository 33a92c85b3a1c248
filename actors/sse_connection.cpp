#include "actors/sse_connection.hpp"

#include <algorithm>
#include <optional>

#include <caf/all.hpp>

#include "actors/errors.hpp"

namespace parley {

namespace {

using self_ptr = caf::stateful_actor<sse_connection_state>*;

const shared_bytes heartbeat_bytes
  = std::make_shared<const std::string>(":\n\n");

void write(self_ptr self, shared_bytes bytes) {
  auto sink = self->state.cfg.sink.lock();
  if (!sink) {
    self->quit(); // the stream is gone; the broker sees our down message
    return;
  }
  sink->write(std::move(bytes));
  self->state.last_write = self->clock().now();
}

// How a stream ends from the actor's side: the sink closes (the browser
// resumes later) or refuses (401 for a user who does not exist, 429 for
// one with too many streams or opens); then the actor quits.
void end_stream(self_ptr self, std::optional<refusal> why = std::nullopt) {
  if (auto sink = self->state.cfg.sink.lock()) {
    if (why)
      sink->refuse(*why);
    else
      sink->close();
  }
  self->quit();
}

// Writes (or, for an own message without include_own, skips) the next seq.
void emit(self_ptr self, const sse_event& ev) {
  auto& st = self->state;
  st.last_seq = ev.seq;
  if (ev.own && !st.cfg.include_own)
    return; // a hole the client never sees
  write(self, ev.bytes);
  if (st.cfg.counters)
    metrics::add(st.cfg.counters->events_delivered);
}

// Writes every held event that is next in line; arms the gap timer if a
// hole remains (its event is committed: it is in flight or in the inbox).
void flush(self_ptr self) {
  auto& st = self->state;
  while (!st.held.empty()) {
    auto it = st.held.begin();
    if (it->first <= st.last_seq) {
      st.held.erase(it); // already written: a duplicate from the seam
    } else if (it->first == st.last_seq + 1) {
      emit(self, it->second);
      st.held.erase(it);
    } else {
      break;
    }
  }
  if (!st.held.empty() && !st.gap_timer) {
    st.gap_timer = true;
    self->delayed_send(self, st.cfg.gap_timeout, gap_atom::value);
  }
}

// Heartbeat ticks fall on a grid of heartbeat/200 (1 ms to 100 ms): the
// ticks of thousands of idle streams then share a few clock and scheduler
// wake-ups a second instead of each costing its own thread switches, and a
// tick's burst stays small (a coarser grid, heartbeat/20, held up message
// posts behind bursts of hundreds of heartbeats).
caf::timespan tick_grid(std::chrono::milliseconds heartbeat) {
  auto grid = std::chrono::duration_cast<caf::timespan>(heartbeat) / 200;
  return std::clamp<caf::timespan>(grid, std::chrono::milliseconds(1),
                                   std::chrono::milliseconds(100));
}

// The next heartbeat check: one interval after the latest write, rounded
// up to the grid (never early, at most one grid step late).
void schedule_tick(self_ptr self) {
  auto& st = self->state;
  auto grid = tick_grid(st.cfg.heartbeat);
  auto due = (st.last_write + st.cfg.heartbeat).time_since_epoch();
  auto aligned = caf::actor_clock::time_point{(due + grid - caf::timespan{1})
                                              / grid * grid};
  auto delay = std::max(aligned - self->clock().now(), caf::timespan{0});
  self->delayed_send(self, delay, tick_atom::value);
}

void fetch(self_ptr self, int64_t after);

// Replays one inbox page; fetches the next or goes live.
void on_page(self_ptr self, const inbox_page& page) {
  auto& st = self->state;
  if (!st.started) {
    st.started = true;
    if (auto sink = st.cfg.sink.lock())
      sink->open(); // the user exists: the headers go out now
    auto after = st.cfg.resume_after;
    bool unknown
      = after > page.last_seq
        || (after >= 0 && page.min_seq > 0 && after + 1 < page.min_seq);
    if (after < 0 || unknown) {
      // Start live from now; tell the client its cursor (a fresh stream's
      // `id:` line sets lastEventId without firing an event).
      st.last_seq = page.last_seq;
      write(self, std::make_shared<const std::string>(
                    unknown ? reset_event_bytes(page.last_seq)
                            : "id: " + std::to_string(page.last_seq) + "\n\n"));
      if (unknown && st.cfg.counters)
        metrics::add(st.cfg.counters->resets);
      st.fetching = false;
      return flush(self);
    }
    st.last_seq = after;
    if (st.cfg.counters && st.cfg.client_cursor)
      metrics::add(st.cfg.counters->replays);
  }
  for (const auto& ev : page.events) {
    if (ev.seq <= st.last_seq)
      continue;
    bool own = ev.msg.user_id == st.cfg.user_id;
    shared_bytes bytes;
    if (!own || st.cfg.include_own)
      bytes = std::make_shared<const std::string>(
        st.cfg.format(ev.msg, st.cfg.user_id, ev.seq));
    emit(self, sse_event{ev.seq, own, std::move(bytes)});
  }
  if (static_cast<int64_t>(page.events.size()) >= st.cfg.replay_page) {
    // More to replay: the next page once this one is written, so a long
    // backlog never fills the queue of a client that reads. Live events
    // stay held meanwhile (`fetching` is still set).
    st.awaiting_drain = true;
    if (auto sink = st.cfg.sink.lock())
      sink->notify_drained(caf::actor_cast<caf::actor>(self));
    return;
  }
  st.fetching = false;
  flush(self);
}

void fetch(self_ptr self, int64_t after) {
  auto& st = self->state;
  st.fetching = true;
  auto limit = after < 0 ? int64_t{0} : st.cfg.replay_page;
  st.fetch_started = self->clock().now();
  // No CAF timeout: each would wake CAF's clock thread once per stream
  // open. The heartbeat ticks check fetch_timeout instead.
  self
    ->request(st.cfg.db, caf::infinite, replay_atom::value, st.cfg.user_id,
              after, limit)
    .then([self](const inbox_page& page) { on_page(self, page); },
          [self](caf::error& err) {
            // No such user: 401. No inbox, no guarantee: close; the client
            // resumes later.
            if (is(err, ec::not_found))
              return end_stream(self, refusal{refusal::unknown_user});
            end_stream(self);
          });
}

// Subscribes, then reads the inbox: the broker takes the subscription
// before any delivery that a commit after the read sends it, so every such
// event reaches us live, and everything before it is in the read. The read
// waits for the broker's answer: a user with too many streams, or past
// their allowance of opens, gets 429 and costs the database nothing.
void subscribe_and_read(self_ptr self) {
  auto& st = self->state;
  // Under way from here: live events wait for the first page, and a broker
  // that does not answer closes the stream as a read would (fetch_timeout).
  st.fetching = true;
  st.fetch_started = self->clock().now();
  self
    ->request(st.cfg.broker, caf::infinite, subscribe_atom::value,
              st.cfg.user_id, caf::actor_cast<caf::actor>(self),
              st.cfg.include_own)
    .then([self](bool) { fetch(self, self->state.cfg.resume_after); },
          [self](caf::error& err) {
            if (is(err, ec::too_many_streams))
              return end_stream(self, refusal{refusal::too_many_streams});
            if (is(err, ec::rate_limited))
              return end_stream(
                self, refusal{refusal::too_many_opens, retry_after(err)});
            end_stream(self);
          });
}

} // namespace

std::string reset_event_bytes(int64_t last_seq) {
  auto id = std::to_string(last_seq);
  return "event: reset\nid: " + id + "\ndata: {\"lastEventId\":\"" + id
         + "\"}\n\n";
}

caf::behavior sse_connection(self_ptr self, sse_connection_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.last_write = self->clock().now();
  subscribe_and_read(self);
  schedule_tick(self);
  return {
    [self](event_atom, const sse_event& ev) {
      auto& st = self->state;
      if (ev.seq <= st.last_seq)
        return;
      if (!st.fetching && st.held.empty() && ev.seq == st.last_seq + 1)
        return emit(self, ev); // the usual case: next in line, nothing held
      st.held.emplace(ev.seq, ev);
      if (!st.fetching)
        flush(self);
    },
    [self](gap_atom) {
      auto& st = self->state;
      st.gap_timer = false;
      if (st.fetching || st.held.empty())
        return;
      if (st.held.begin()->first > st.last_seq + 1)
        fetch(self, st.last_seq); // the missing seqs are in the inbox
      else
        flush(self);
    },
    [self](tick_atom) {
      auto& st = self->state;
      if (st.fetching && !st.awaiting_drain
          && self->clock().now() - st.fetch_started >= st.cfg.fetch_timeout) {
        // The database does not answer: the client resumes later.
        return end_stream(self);
      }
      // No heartbeat before the first read (it would send the headers before
      // the read says whether the user exists: a 200, not a 401); the next
      // check comes one interval later.
      if (!st.started)
        st.last_write = self->clock().now();
      // Heartbeat after `heartbeat` of silence.
      if (self->clock().now() - st.last_write >= st.cfg.heartbeat)
        write(self, heartbeat_bytes);
      schedule_tick(self);
    },
    [self](drained_atom) {
      auto& st = self->state;
      if (!st.awaiting_drain)
        return;
      st.awaiting_drain = false;
      fetch(self, st.last_seq);
    },
    [self](closed_atom) { self->quit(); },
    [self](shutdown_atom) { end_stream(self); },
  };
}

} // namespace parley
