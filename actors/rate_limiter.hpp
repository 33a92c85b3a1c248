#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

namespace parley {

/// A sustained rate and the burst allowed above it. `per_second` 0 means
/// no limit.
struct rate_limit {
  double per_second = 0;
  size_t burst = 1;
};

/// One token bucket per key (a user id): each bucket holds up to `burst`
/// tokens and refills at `per_second`; every allowed request takes one.
/// Plain state without locks: its owner is one actor (the gateway, ask.hpp,
/// or the broker), and time is passed in, so tests need no clock.
class rate_limiter {
public:
  using time_point = caf::actor_clock::time_point;

  explicit rate_limiter(rate_limit limit = {});

  /// Takes a token for `key` at `now`. nullopt: allowed; otherwise refused,
  /// with how long until the next token.
  std::optional<caf::timespan> take(int64_t key, time_point now);

  /// Keys with a bucket (full ones are forgotten when the table is swept).
  size_t tracked() const {
    return buckets_.size();
  }

private:
  struct bucket {
    double tokens;
    time_point updated;
  };

  /// Refills `b` up to `now`.
  void refill(bucket& b, time_point now) const;
  /// Forgets the buckets that are full again: they mean the same as none.
  void prune(time_point now);

  rate_limit limit_;
  std::unordered_map<int64_t, bucket> buckets_;
  size_t prune_at_;
};

/// `wait` in whole seconds, rounded up, as Retry-After says it.
int64_t whole_seconds(caf::timespan wait);

} // namespace parley
