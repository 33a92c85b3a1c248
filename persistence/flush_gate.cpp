#include "persistence/flush_gate.hpp"

#include <caf/all.hpp>

namespace parley {

void flush_gate::arm(caf::event_based_actor* self, caf::atom_value flush) {
  if (pending_)
    return;
  pending_ = true;
  self->send(self, flush);
}

bool flush_gate::ready(caf::event_based_actor* self, caf::atom_value flush) {
  if (!deferred_ && !self->mailbox().empty()) {
    deferred_ = true;
    self->send(self, flush);
    return false;
  }
  deferred_ = false;
  pending_ = false;
  return true;
}

} // namespace parley
