#include "net/ask.hpp"

#include <caf/all.hpp>

namespace parley {

caf::behavior gateway(caf::event_based_actor* self) {
  return {
    [self](ask_job& job) { job(self); },
  };
}

} // namespace parley
