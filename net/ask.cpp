#include "net/ask.hpp"

#include <caf/all.hpp>

namespace parley {

caf::behavior gateway(caf::event_based_actor* self) {
  return {
    [self](ask_job& job) {
      if (!detail::guarded([&] { job(self); }))
        spdlog::error("gateway: a request could not be sent");
    },
  };
}

} // namespace parley
