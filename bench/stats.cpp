#include "stats.hpp"

#include <algorithm>
#include <cmath>

namespace parley::bench {

size_t histogram::index(uint64_t v) {
  if (v < (2u << sub_bits))
    return static_cast<size_t>(v);
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - sub_bits;
  return static_cast<size_t>(shift + 1) * (1u << sub_bits)
         + static_cast<size_t>((v >> shift) - (1u << sub_bits));
}

uint64_t histogram::upper(size_t idx) {
  if (idx < (2u << sub_bits))
    return idx;
  size_t shift = idx / (1u << sub_bits) - 1;
  uint64_t base = (idx % (1u << sub_bits)) + (1u << sub_bits);
  return ((base + 1) << shift) - 1;
}

void histogram::record(int64_t us) {
  auto v = static_cast<uint64_t>(std::max<int64_t>(us, 0));
  counts_[std::min(index(v), buckets - 1)]++;
  ++count_;
  max_ = std::max(max_, static_cast<int64_t>(v));
}

int64_t histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(static_cast<int64_t>(upper(i)), max_);
  }
  return max_;
}

void histogram::merge(const histogram& other) {
  for (size_t i = 0; i < buckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

void histogram::clear() {
  counts_.fill(0);
  count_ = 0;
  max_ = 0;
}

void ledger::init(size_t users, const std::vector<uint32_t>& stream_user) {
  posts_.assign(users, {});
  seen_.assign(stream_user.size(), {});
  stream_user_ = stream_user;
  user_streams_.assign(users, {});
  for (uint32_t s = 0; s < stream_user.size(); ++s)
    if (stream_user[s] < users)
      user_streams_[stream_user[s]].push_back(s);
  expected_ = delivered_ = duplicates_ = pending_ = 0;
}

uint32_t ledger::next(uint32_t user) {
  auto& p = posts_.at(user);
  p.push_back(unanswered);
  ++pending_;
  return static_cast<uint32_t>(p.size());
}

void ledger::posted(uint32_t user, uint32_t n, bool ok) {
  auto& state = posts_.at(user).at(n - 1);
  if (state != unanswered)
    return;
  state = ok ? ok_post : failed_post;
  --pending_;
  if (!ok)
    return;
  expected_ += user_streams_[user].size();
  // Deliveries can arrive before the 201: count those now.
  for (auto s : user_streams_[user])
    if (seen_[s].size() >= n && seen_[s][n - 1])
      ++delivered_;
}

bool ledger::received(uint32_t stream, uint32_t user, uint32_t n) {
  if (stream >= seen_.size() || n == 0 || stream_user_[stream] != user)
    return false;
  auto& seen = seen_[stream];
  if (seen.size() < n)
    seen.resize(std::max<size_t>(n, seen.size() * 2), 0);
  if (seen[n - 1]) {
    ++duplicates_;
    return false;
  }
  seen[n - 1] = 1;
  const auto& p = posts_[user];
  if (n <= p.size() && p[n - 1] == ok_post)
    ++delivered_;
  return true;
}

uint64_t ledger::lost() const {
  uint64_t lost = 0;
  for (size_t s = 0; s < seen_.size(); ++s) {
    const auto& p = posts_[stream_user_[s]];
    const auto& seen = seen_[s];
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] == ok_post && (i >= seen.size() || !seen[i]))
        ++lost;
  }
  return lost;
}

} // namespace parley::bench
