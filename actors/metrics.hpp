#pragma once

#include <atomic>
#include <cstdint>

namespace parley {

/// Counters for /metrics. Relaxed atomics: each is written where the event
/// happens and only read by the /metrics handler, so no lock and no message
/// is worth the cost. (The delivery path itself shares nothing else.)
struct metrics {
  std::atomic<int64_t> open_streams{0};
  std::atomic<int64_t> streams_total{0};
  std::atomic<int64_t> events_delivered{0};
  std::atomic<int64_t> streams_cut_slow{0};
  std::atomic<int64_t> replays{0};
  std::atomic<int64_t> resets{0};

  static void add(std::atomic<int64_t>& counter, int64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

} // namespace parley
