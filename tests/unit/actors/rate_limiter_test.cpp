#include "actors/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace parley;
using namespace std::chrono_literals;

namespace {

const rate_limiter::time_point t0{};

} // namespace

TEST_CASE("a post limit allows the burst, then refuses with the wait for "
          "the next token",
          "[net][rate_limit]") {
  rate_limiter limits{rate_limit{2.0, 3}}; // 2 per s, 3 at once
  CHECK_FALSE(limits.take(7, t0));
  CHECK_FALSE(limits.take(7, t0));
  CHECK_FALSE(limits.take(7, t0));
  auto wait = limits.take(7, t0);
  REQUIRE(wait);
  CHECK(*wait == caf::timespan{500ms});
  // A refused request takes nothing: the wait only shrinks.
  auto later = limits.take(7, t0 + 200ms);
  REQUIRE(later);
  CHECK(*later == caf::timespan{300ms});
  CHECK_FALSE(limits.take(7, t0 + 500ms));
  CHECK(limits.take(7, t0 + 500ms));
}

TEST_CASE("a post limit refills at its rate up to the burst, never above",
          "[net][rate_limit]") {
  rate_limiter limits{rate_limit{1.0, 2}};
  CHECK_FALSE(limits.take(1, t0));
  CHECK_FALSE(limits.take(1, t0));
  CHECK(limits.take(1, t0));
  // An hour idle earns the burst again, not 3,600 posts.
  auto hour = t0 + 1h;
  CHECK_FALSE(limits.take(1, hour));
  CHECK_FALSE(limits.take(1, hour));
  CHECK(limits.take(1, hour));
}

TEST_CASE("each user has a bucket of their own", "[net][rate_limit]") {
  rate_limiter limits{rate_limit{1.0, 1}};
  CHECK_FALSE(limits.take(1, t0));
  CHECK(limits.take(1, t0));
  CHECK_FALSE(limits.take(2, t0)); // another user is unaffected
  CHECK(limits.take(2, t0));
}

TEST_CASE("a rate of 0 is no limit", "[net][rate_limit]") {
  rate_limiter limits{rate_limit{0, 1}};
  for (int i = 0; i < 1000; ++i)
    REQUIRE_FALSE(limits.take(1, t0));
  CHECK(limits.tracked() == 0);
}

TEST_CASE("a post limit forgets the users whose bucket is full again",
          "[net][rate_limit]") {
  rate_limiter limits{rate_limit{10.0, 5}};
  for (int64_t user = 0; user < 1000; ++user)
    limits.take(user, t0);
  CHECK(limits.tracked() == 1000);
  // A second later all of those are full again; the sweep at 1,024 keys
  // keeps only the users still below their burst.
  for (int64_t user = 1000; user < 1024; ++user)
    limits.take(user, t0 + 1s);
  CHECK(limits.tracked() == 24);
  // Forgetting a full bucket changes nothing: it starts full.
  for (int i = 0; i < 5; ++i)
    CHECK_FALSE(limits.take(0, t0 + 1s));
  CHECK(limits.take(0, t0 + 1s));
}
