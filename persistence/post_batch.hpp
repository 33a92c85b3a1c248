#pragma once

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "persistence/db_worker.hpp"

namespace parley {

/// A worker's note to itself: commit the queued posts now.
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// Group commit. A worker queues each message post until its flush_atom
/// (flush_gate), so under load one transaction (one WAL flush) carries many
/// messages, and alone a post waits for nothing. The batch is saved with one
/// statement whatever its size (queries::create_messages); if it fails as a
/// whole, each post is retried in its own transaction. A post that repeats
/// the idempotency key of another in the batch is answered after it, with
/// what that one saved. After commit, each message goes to the broker and
/// its promise is kept.
void flush_posts(caf::stateful_actor<db_worker_state>* self);

} // namespace parley
