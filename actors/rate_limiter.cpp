#include "actors/rate_limiter.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

namespace parley {

namespace {

// The table is swept for full buckets when it reaches this size, and then
// at twice the size the sweep left: amortised O(1) per request, and memory
// bounded by the keys that drew on it within the last burst / rate seconds.
constexpr size_t min_prune_size = 1024;

double seconds(caf::timespan d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

rate_limiter::rate_limiter(rate_limit limit)
    : limit_(limit), prune_at_(min_prune_size) {
  limit_.burst = std::max<size_t>(limit_.burst, 1);
}

void rate_limiter::refill(bucket& b, time_point now) const {
  if (now <= b.updated)
    return;
  auto earned = seconds(now - b.updated) * limit_.per_second;
  b.tokens = std::min(static_cast<double>(limit_.burst), b.tokens + earned);
  b.updated = now;
}

std::optional<caf::timespan> rate_limiter::take(int64_t key, time_point now) {
  if (limit_.per_second <= 0)
    return std::nullopt;
  auto [it, fresh]
    = buckets_.try_emplace(key, bucket{static_cast<double>(limit_.burst), now});
  auto& b = it->second;
  if (!fresh)
    refill(b, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    if (buckets_.size() >= prune_at_)
      prune(now);
    return std::nullopt;
  }
  auto wait = (1 - b.tokens) / limit_.per_second;
  return std::chrono::duration_cast<caf::timespan>(
    std::chrono::duration<double>(wait));
}

void rate_limiter::prune(time_point now) {
  auto full = static_cast<double>(limit_.burst);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= full ? buckets_.erase(it) : std::next(it);
  }
  prune_at_ = std::max(min_prune_size, 2 * buckets_.size());
}

int64_t whole_seconds(caf::timespan wait) {
  return std::chrono::ceil<std::chrono::seconds>(wait).count();
}

} // namespace parley
