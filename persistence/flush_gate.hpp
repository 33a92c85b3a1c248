#pragma once

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

namespace parley {

/// When a database worker's queued batch goes to the database (group
/// commit of posts, grouped inbox reads). The worker sends itself one flush
/// message per batch: requests already in its mailbox are handled before
/// it and join the batch. If the mailbox is still not empty when the flush
/// comes (requests that arrived during the last statement), the flush goes
/// once more to the back, so that they join too; only once, so a busy
/// mailbox cannot hold a batch back for ever. Alone, a request waits for
/// nothing.
class flush_gate {
public:
  /// A request was queued: sends `flush` to `self` unless one is in its
  /// mailbox already.
  void arm(caf::event_based_actor* self, caf::atom_value flush);

  /// In the handler of `flush`: true if the batch goes now; false if the
  /// flush went to the back of the mailbox once more.
  bool ready(caf::event_based_actor* self, caf::atom_value flush);

private:
  bool pending_ = false;  ///< a flush is in the mailbox
  bool deferred_ = false; ///< it went once to the back already
};

} // namespace parley
