#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/model.hpp"
#include "actors/stream_sink.hpp"

namespace parley {

/// One inbox event for one user, ready to write. `own` marks the user's own
/// message: a stream without include_own skips it but still counts its seq.
struct sse_event {
  int64_t seq = 0;
  bool own = false;
  shared_bytes bytes;
};

/// One row of a user's inbox, read back for a replay.
struct inbox_event {
  int64_t seq = 0;
  message msg;
};

/// A page of a user's inbox after some seq.
struct inbox_page {
  int64_t last_seq = 0; ///< the user's newest seq when the page was read
  int64_t min_seq = 0;  ///< oldest seq still retained (0: inbox empty)
  std::vector<inbox_event> events;
};

/// Turns a message into the SSE bytes for `receiver` (`id:` + `data:`).
/// Provided by net/ (actors/ knows no JSON); must be thread-safe.
using event_formatter = std::function<std::string(
  const message& msg, int64_t receiver, int64_t seq)>;

// Broker protocol.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
// Stream-actor protocol.
using event_atom = caf::atom_constant<caf::atom("event")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using gap_atom = caf::atom_constant<caf::atom("gap")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using drained_atom = caf::atom_constant<caf::atom("drained")>;
// Database: (replay_atom, user, after_seq, limit) -> inbox_page.
using replay_atom = caf::atom_constant<caf::atom("replay")>;

} // namespace parley

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::sse_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::inbox_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::event_formatter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::weak_ptr<parley::stream_sink>)
