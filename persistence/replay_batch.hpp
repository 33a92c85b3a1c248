#pragma once

#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>

#include "persistence/db_worker.hpp"

namespace parley {

/// A worker's note to itself: run the queued inbox reads now.
using replays_atom = caf::atom_constant<caf::atom("replays")>;

/// Grouped inbox reads. Every event stream opens with a read of its user's
/// inbox, and a server restart or a network blip reopens thousands of
/// streams at once: a worker queues each read (flush_gate) and answers all
/// that queued with one statement (queries::read_inboxes), in chunks of at
/// most `max_replay_batch`. A failed statement fails the reads in it; they
/// are reads, and the stream that asked closes and is opened again.
void flush_replays(caf::stateful_actor<db_worker_state>* self);

/// The most reads one statement answers: its first asker waits for all of
/// them.
constexpr size_t max_replay_batch = 256;

} // namespace parley
