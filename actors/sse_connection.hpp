#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/events.hpp"
#include "actors/metrics.hpp"

namespace parley {

/// Everything a stream actor needs to know at spawn time.
struct sse_connection_config {
  int64_t user_id = 0;
  bool include_own = false;
  int64_t resume_after = -1;  ///< cursor; -1: start live from the newest seq
  bool client_cursor = false; ///< the cursor came from the client (metrics)
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds gap_timeout{500}; ///< then read the gap
  /// An inbox read unanswered this long closes the stream (checked on the
  /// heartbeat ticks: no timer per read).
  std::chrono::milliseconds fetch_timeout{10000};
  int64_t replay_page = 100; ///< events per inbox read; one page in flight
  caf::actor broker;
  caf::actor db;
  event_formatter format;
  std::weak_ptr<stream_sink> sink;
  std::shared_ptr<metrics> counters; ///< may be null (tests)
};

/// State of one event stream's actor.
struct sse_connection_state {
  static inline const char* name = "sse_connection";
  sse_connection_config cfg;
  int64_t last_seq = -1;       ///< newest seq written or skipped
  bool fetching = false;       ///< an inbox read is under way
  bool started = false;        ///< the first inbox read is done
  bool gap_timer = false;      ///< a gap check is scheduled
  bool awaiting_drain = false; ///< a full page waits to be written
  caf::actor_clock::time_point fetch_started; ///< of the read under way
  caf::actor_clock::time_point last_write;    ///< for heartbeats
  std::map<int64_t, sse_event> held; ///< live events waiting for their turn
};

/// One actor per open stream. It subscribes to the broker, reads the inbox
/// after the client's cursor (replay), holds live events that arrive
/// meanwhile, and writes strictly increasing, gap-free seqs to its sink.
/// Its first read also checks that the user exists: if not, the sink
/// answers 401 instead of the stream; a broker that refuses the
/// subscription (too many streams or opens for the user) makes it 429, and
/// then the inbox is not read.
/// Handlers: (event_atom, sse_event) live event; (tick_atom) heartbeat;
/// (gap_atom) gap timeout; (drained_atom) the sink wrote the last page;
/// (closed_atom) the stream is gone;
/// (shutdown_atom) close the stream cleanly.
caf::behavior sse_connection(caf::stateful_actor<sse_connection_state>* self,
                             sse_connection_config cfg);

/// The bytes of an `event: reset` that also moves the client's cursor.
std::string reset_event_bytes(int64_t last_seq);

} // namespace parley
