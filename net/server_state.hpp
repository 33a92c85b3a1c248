#pragma once

#include <atomic>

namespace parley {

/// What the listener, the sessions and the API share across Asio threads:
/// two counters, no locks. Owned by `server` through a shared_ptr.
struct server_state {
  /// Set on SIGINT/SIGTERM: no new keep-alive, /healthz answers 503.
  std::atomic<bool> draining{false};
  /// Requests read but not yet answered; shutdown waits for zero.
  std::atomic<int> in_flight{0};
};

} // namespace parley
