#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace parley {

/// A Prometheus histogram with fixed buckets (seconds). observe() is a few
/// relaxed atomic adds: no lock, so any thread may record.
class histogram {
public:
  static constexpr std::array<double, 14> bounds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

  void observe(std::chrono::nanoseconds took);

  /// The buckets read once, so that they agree with each other: `le[i]`
  /// counts the observations at or below bounds[i] (cumulative, as
  /// Prometheus wants), `le.back()` all of them (+Inf, the count).
  struct snapshot {
    std::array<int64_t, bounds.size() + 1> le{};
    int64_t sum_ns = 0;
    int64_t count() const {
      return le.back();
    }
  };
  snapshot read() const;

  /// All observations (read().count()).
  int64_t count() const;

private:
  std::array<std::atomic<int64_t>, bounds.size() + 1> buckets_{};
  std::atomic<int64_t> sum_ns_{0};
};

/// HTTP requests by endpoint and status (SPEC §7). net/ numbers the
/// endpoints (route × method, see net/http_metrics.hpp); statuses 100–599.
class request_metrics {
public:
  static constexpr size_t endpoints = 40;
  static constexpr unsigned first_status = 100, last_status = 599;

  /// A request answered: counted, and its latency recorded.
  void observe(size_t endpoint, unsigned status, std::chrono::nanoseconds took);
  /// A request counted without a latency (an event stream, whose response
  /// lasts as long as the stream).
  void count(size_t endpoint, unsigned status);

  int64_t requests(size_t endpoint, unsigned status) const;
  const histogram& latency(size_t endpoint) const {
    return latency_.at(endpoint);
  }

private:
  using by_status
    = std::array<std::atomic<int64_t>, last_status - first_status + 1>;
  std::array<by_status, endpoints> requests_{};
  std::array<histogram, endpoints> latency_;
};

/// Database statement latency by statement name (transact()'s `what`).
/// Names are string literals, registered on first use into a fixed table
/// without a lock: a slot's name is set once, by compare-and-swap, and never
/// changes. Past the table's size, statements count under "_overflow".
class db_metrics {
public:
  static constexpr size_t slots = 32;

  void observe(const char* statement, std::chrono::nanoseconds took);

  /// The name in slot `i`, or nullptr if it is still free.
  const char* name(size_t i) const;
  const histogram& latency(size_t i) const {
    return slots_.at(i).latency;
  }

private:
  struct slot {
    std::atomic<const char*> name{nullptr};
    histogram latency;
  };
  slot& find(const char* statement);

  std::array<slot, slots> slots_;
};

/// Counters for /metrics. Relaxed atomics: each is written where the event
/// happens and only read by the /metrics handler, so no lock and no message
/// is worth the cost. (The delivery path itself shares nothing else.)
struct metrics {
  static constexpr size_t max_db_workers = 64; ///< with a mailbox gauge

  std::atomic<int64_t> open_streams{0};
  std::atomic<int64_t> streams_total{0};
  std::atomic<int64_t> events_delivered{0};
  std::atomic<int64_t> streams_cut_slow{0};
  std::atomic<int64_t> replays{0};
  std::atomic<int64_t> resets{0};

  request_metrics http;
  db_metrics db;
  std::atomic<int64_t> post_batches{0};    ///< group commits of posts
  std::atomic<int64_t> posts_batched{0};   ///< posts in them
  std::atomic<int64_t> replay_batches{0};  ///< statements of inbox reads
  std::atomic<int64_t> replays_batched{0}; ///< inbox reads in them

  /// Mailbox sizes, as each actor saw its own queue when it last took a
  /// message (only the actor may read its mailbox).
  std::atomic<int64_t> broker_mailbox{0};
  std::array<std::atomic<int64_t>, max_db_workers> db_mailbox{};
  std::atomic<size_t> db_workers{0}; ///< spawned, in pool order
  std::atomic<size_t> db_writers{0}; ///< the first ones commit posts

  static void add(std::atomic<int64_t>& counter, int64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  static void set(std::atomic<int64_t>& gauge, int64_t value) {
    gauge.store(value, std::memory_order_relaxed);
  }
};

} // namespace parley
