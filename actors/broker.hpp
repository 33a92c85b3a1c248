#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/events.hpp"
#include "actors/metrics.hpp"
#include "actors/rate_limiter.hpp"

namespace parley {

/// What one user may do with event streams (0 in either: no limit).
struct stream_limits {
  size_t per_user = 0; ///< streams open at once
  rate_limit opens;    ///< stream opens, sustained and at once
};

/// The userID → stream actors map. Nothing else holds it: it is reached only
/// by messages, so it needs no lock.
struct broker_state {
  static inline const char* name = "broker";
  /// One user's stream actors, and how many of them show the user's own
  /// messages (include_own): none, and an own event needs no bytes.
  struct streams {
    std::vector<caf::actor> actors;
    size_t own_wanted = 0;
  };
  std::unordered_map<int64_t, streams> subscribers;
  /// Where each subscribed actor is: its user and its index in that user's
  /// list, so a closed stream is removed in O(1) (a mass disconnect would
  /// otherwise scan every user, or every tab of one user, per stream).
  struct place {
    int64_t user;
    size_t index;
    bool include_own;
  };
  std::unordered_map<caf::actor_addr, place> user_of;
  event_formatter format;
  std::shared_ptr<metrics> counters; ///< may be null (tests)
  size_t max_streams_per_user = 0;   ///< 0: no limit
  rate_limiter opens;                ///< each user's allowance of opens
  bool shutting_down = false;

  /// Adds `stream` to `user`'s list.
  void add(int64_t user, const caf::actor& stream, bool include_own);

  /// Removes `who` from its user's list (the last entry takes its place);
  /// drops emptied users (no stream, no cost).
  void remove(const caf::actor_addr& who);
};

/// The broker. Handlers:
/// - (subscribe_atom, user_id, stream_actor, include_own) -> bool: adds and
///   monitors the actor (a stream actor subscribes once, for one user); a
///   dead stream actor is removed by its down message. A user who has
///   `limits.per_user` streams already is refused with
///   ec::too_many_streams, so that no user can hold all of the process's
///   connections. Every subscribe draws on the user's allowance of opens
///   (`limits.opens`); past it the subscribe is refused with
///   ec::rate_limited and the seconds to wait, so that no user can make
///   the server read their inbox in a loop of opens and closes.
/// - (deliver_atom, created_message): serialises the event once per
///   recipient user and sends (event_atom, sse_event) to each of that
///   user's stream actors. The sender's own event is serialised only if one
///   of the sender's streams shows own messages; the others get its seq
///   alone (null bytes), which is all they use of it.
/// - (shutdown_atom): tells every stream actor to close (SIGTERM).
/// Subscribes and delivers record its mailbox size in `counters`.
caf::behavior broker(caf::stateful_actor<broker_state>* self,
                     event_formatter format, std::shared_ptr<metrics> counters,
                     stream_limits limits);

} // namespace parley
