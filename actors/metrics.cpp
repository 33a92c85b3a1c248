#include "actors/metrics.hpp"

#include <algorithm>
#include <cstring>

namespace parley {

void histogram::observe(std::chrono::nanoseconds took) {
  double seconds = std::chrono::duration<double>(took).count();
  auto bucket
    = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  buckets_.at(static_cast<size_t>(bucket))
    .fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(took.count(), std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot snap;
  int64_t total = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    total += buckets_[b].load(std::memory_order_relaxed);
    snap.le[b] = total;
  }
  snap.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  return snap;
}

int64_t histogram::count() const {
  return read().count();
}

void request_metrics::observe(size_t endpoint, unsigned status,
                              std::chrono::nanoseconds took) {
  count(endpoint, status);
  if (endpoint < endpoints)
    latency_[endpoint].observe(took);
}

void request_metrics::count(size_t endpoint, unsigned status) {
  if (endpoint >= endpoints || status < first_status || status > last_status)
    return; // cannot happen: net/ numbers endpoints, Beast bounds statuses
  requests_[endpoint][status - first_status].fetch_add(
    1, std::memory_order_relaxed);
}

int64_t request_metrics::requests(size_t endpoint, unsigned status) const {
  if (endpoint >= endpoints || status < first_status || status > last_status)
    return 0;
  return requests_[endpoint][status - first_status].load(
    std::memory_order_relaxed);
}

void db_metrics::observe(const char* statement, std::chrono::nanoseconds took) {
  find(statement).latency.observe(took);
}

const char* db_metrics::name(size_t i) const {
  return slots_.at(i).name.load(std::memory_order_acquire);
}

db_metrics::slot& db_metrics::find(const char* statement) {
  // Every thread scans in the same order and claims the first free slot,
  // so two threads registering one name meet at the same slot.
  for (size_t i = 0; i + 1 < slots; ++i) {
    auto& s = slots_[i];
    const char* seen = s.name.load(std::memory_order_acquire);
    if (!seen
        && s.name.compare_exchange_strong(seen, statement,
                                          std::memory_order_acq_rel))
      return s;
    // Lost the race or taken: `seen` now holds the slot's name.
    if (seen == statement || std::strcmp(seen, statement) == 0)
      return s;
  }
  auto& other = slots_.back();
  const char* none = nullptr;
  other.name.compare_exchange_strong(none, "_overflow",
                                     std::memory_order_acq_rel);
  return other;
}

} // namespace parley
