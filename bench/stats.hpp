#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::bench {

/// A log-linear latency histogram (HdrHistogram's layout, 64 sub-buckets per
/// power of two: under 1.6 % error) over microseconds. Fixed size, no
/// allocation per sample.
class histogram {
public:
  /// Records one sample in microseconds (negative counts as 0).
  void record(int64_t us);
  /// The value at quantile q (0..1) in microseconds; 0 when empty.
  int64_t quantile(double q) const;
  int64_t max() const {
    return max_;
  }
  uint64_t count() const {
    return count_;
  }
  void merge(const histogram& other);
  void clear();

private:
  static constexpr int sub_bits = 6;
  static constexpr std::size_t buckets = 64 * 42;
  static std::size_t index(uint64_t v);
  static uint64_t upper(std::size_t idx);

  std::array<uint64_t, buckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

/// Tracks every posted message against every stream that should receive it,
/// to count losses and duplicates exactly.
class ledger {
public:
  /// Resets to `users` users and records which users each stream serves.
  void init(std::size_t users, const std::vector<uint32_t>& stream_user);
  /// Reserves the next message number for `user` (from 1).
  uint32_t next(uint32_t user);
  /// The post of (user, n) was answered: ok (2xx) or not.
  void posted(uint32_t user, uint32_t n, bool ok);
  /// Stream `stream` received (user, n); false if it is a duplicate.
  bool received(uint32_t stream, uint32_t user, uint32_t n);

  /// Deliveries owed so far: ok posts × streams of their receiver.
  uint64_t expected() const {
    return expected_;
  }
  /// Distinct deliveries that match an ok post.
  uint64_t delivered() const {
    return delivered_;
  }
  uint64_t duplicates() const {
    return duplicates_;
  }
  /// Posts not yet answered.
  uint64_t pending() const {
    return pending_;
  }

  /// Counts, for every stream, the ok posts to its user that it never got.
  uint64_t lost() const;

private:
  enum : uint8_t { unanswered = 0, ok_post = 1, failed_post = 2 };
  std::vector<std::vector<uint8_t>> posts_; // per user, index n - 1
  std::vector<std::vector<uint8_t>> seen_;  // per stream, index n - 1
  std::vector<uint32_t> stream_user_;
  std::vector<std::vector<uint32_t>> user_streams_; // streams per user
  uint64_t expected_ = 0;
  uint64_t delivered_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t pending_ = 0;
};

} // namespace parley::bench
