#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/metrics.hpp"
#include "config/parley_config.hpp"

namespace parley {

/// The HTTP side: io_context, its threads, the listener, and the graceful
/// stop on SIGINT/SIGTERM.
class server {
public:
  server(caf::actor_system& sys, settings cfg, caf::actor db, caf::actor broker,
         std::shared_ptr<metrics> counters);

  /// Serves until SIGINT/SIGTERM, then drains in-flight requests and
  /// streams (bounded), stops the database and broker actors, waits for
  /// every actor, and returns. Returns false if it could not listen.
  bool run();

private:
  caf::actor_system& sys_;
  settings cfg_;
  caf::actor db_;
  caf::actor broker_;
  std::shared_ptr<metrics> counters_;
};

} // namespace parley
