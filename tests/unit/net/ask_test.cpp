#include "net/ask.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include "../actors/actor_fixture.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;

namespace {

// Answers each int with twice its value, but only once released: a test
// chooses whether the reply comes before or after the deadline.
struct doubler_state {
  static inline const char* name = "doubler";
  std::vector<std::pair<caf::response_promise, int>> held;
};

caf::behavior doubler(caf::stateful_actor<doubler_state>* self) {
  return {
    [self](int x) -> caf::result<int> {
      self->state.held.emplace_back(self->make_response_promise(), x);
      return caf::delegated<int>{};
    },
    [self](release_atom) {
      for (auto& [rp, x] : self->state.held)
        rp.deliver(2 * x);
      self->state.held.clear();
    },
  };
}

// What a request's callbacks saw.
struct outcome {
  std::vector<int> results;
  std::vector<caf::error> errors;
};

void ask_doubler(const caf::actor& gw, const caf::actor& dest, outcome& out,
                 int x) {
  ask<int>(
    gw, requester{}, dest, [&out](int& r) { out.results.push_back(r); },
    [&out](caf::error& e) { out.errors.push_back(e); }, x);
}

constexpr caf::timespan timeout = 1s;

} // namespace

TEST_CASE("the gateway hands a reply within the deadline to on_ok, once",
          "[net][gateway]") {
  actor_fixture fx;
  auto gw = fx.spawn(gateway, timeout, rate_limit{}, rate_limit{});
  auto dest = fx.spawn(doubler);
  outcome out;
  ask_doubler(gw, dest, out, 21);
  fx.run();
  fx.advance(900ms);
  CHECK(out.results.empty());
  caf::anon_send(dest, release_atom::value);
  fx.run();
  CHECK(out.results == std::vector<int>{42});
  CHECK(out.errors.empty());
  // Later sweeps find nothing to answer.
  fx.advance(2s);
  fx.advance(2s);
  CHECK(out.results.size() == 1);
  CHECK(out.errors.empty());
}

TEST_CASE("the gateway answers an unanswered request with request_timeout "
          "once its deadline passes, and drops the late reply",
          "[net][gateway]") {
  actor_fixture fx;
  auto gw = fx.spawn(gateway, timeout, rate_limit{}, rate_limit{});
  auto dest = fx.spawn(doubler);
  outcome early, late;
  ask_doubler(gw, dest, early, 1);
  fx.run();
  fx.advance(600ms);
  ask_doubler(gw, dest, late, 2); // its deadline is 600 ms later
  fx.run();
  fx.advance(500ms); // 1.1 s: only the first is past its deadline
  REQUIRE(early.errors.size() == 1);
  CHECK(early.errors[0] == caf::sec::request_timeout);
  CHECK(late.errors.empty());
  fx.advance(600ms); // 1.7 s: the second too
  REQUIRE(late.errors.size() == 1);
  CHECK(late.errors[0] == caf::sec::request_timeout);
  caf::anon_send(dest, release_atom::value);
  fx.run();
  CHECK(early.results.empty());
  CHECK(late.results.empty());
  CHECK(early.errors.size() == 1);
  CHECK(late.errors.size() == 1);
}

TEST_CASE("the gateway reports a receiver that is gone, and a success "
          "callback that throws, as errors",
          "[net][gateway]") {
  actor_fixture fx;
  auto gw = fx.spawn(gateway, timeout, rate_limit{}, rate_limit{});
  SECTION("receiver gone") {
    auto dest = fx.spawn(doubler);
    caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
    fx.run();
    outcome out;
    ask_doubler(gw, dest, out, 1);
    fx.run();
    REQUIRE(out.errors.size() == 1);
    CHECK(out.results.empty());
    fx.advance(2s); // and no second answer from the sweep
    CHECK(out.errors.size() == 1);
  }
  SECTION("on_ok throws") {
    auto dest = fx.spawn(doubler);
    std::vector<caf::error> errors;
    ask<int>(
      gw, requester{}, dest, [](int&) { throw std::runtime_error("boom"); },
      [&errors](caf::error& e) { errors.push_back(e); }, 1);
    fx.run();
    caf::anon_send(dest, release_atom::value);
    fx.run();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == caf::sec::runtime_error);
    fx.advance(2s);
    CHECK(errors.size() == 1);
  }
}

TEST_CASE("ask sends a user's posts up to their allowance and refuses the "
          "rest with rate_limited and the seconds to wait, without sending",
          "[net][gateway][rate_limit]") {
  actor_fixture fx;
  auto gw = fx.spawn(gateway, timeout, rate_limit{0.5, 2}, // posts: 1 per 2 s
                     rate_limit{});
  auto dest = fx.spawn(doubler);
  outcome alice, bob;
  auto post = [&](int64_t user, outcome& out, int x) {
    ask<int>(
      gw, requester{budget::posts, user}, dest,
      [&out](int& r) { out.results.push_back(r); },
      [&out](caf::error& e) { out.errors.push_back(e); }, x);
    fx.run();
  };
  post(1, alice, 1);
  post(1, alice, 2);
  post(1, alice, 3); // over the burst
  REQUIRE(alice.errors.size() == 1);
  CHECK(is(alice.errors[0], ec::rate_limited));
  REQUIRE(alice.errors[0].context().match_elements<int64_t>());
  CHECK(alice.errors[0].context().get_as<int64_t>(0) == 2);
  post(2, bob, 10); // another user is not limited by alice
  caf::anon_send(dest, release_atom::value);
  fx.run();
  // The refused post never reached the receiver.
  CHECK(alice.results == std::vector<int>{2, 4});
  CHECK(bob.results == std::vector<int>{20});
  CHECK(bob.errors.empty());
  fx.advance(2s); // one token back
  post(1, alice, 4);
  caf::anon_send(dest, release_atom::value);
  fx.run();
  CHECK(alice.results == std::vector<int>{2, 4, 8});
  CHECK(alice.errors.size() == 1);
}

TEST_CASE("a user's posts and other requests draw on allowances of their own",
          "[net][gateway][rate_limit]") {
  actor_fixture fx;
  auto gw = fx.spawn(gateway, timeout, rate_limit{1.0, 1}, rate_limit{1.0, 2});
  auto dest = fx.spawn(doubler);
  outcome posts, reads;
  auto ask_as = [&](budget which, outcome& out, int x) {
    ask<int>(
      gw, requester{which, 1}, dest,
      [&out](int& r) { out.results.push_back(r); },
      [&out](caf::error& e) { out.errors.push_back(e); }, x);
    fx.run();
  };
  ask_as(budget::posts, posts, 1);
  ask_as(budget::posts, posts, 2); // past the post allowance
  ask_as(budget::requests, reads, 3);
  ask_as(budget::requests, reads, 4); // the post limit does not stop these
  ask_as(budget::requests, reads, 5); // past the request allowance
  caf::anon_send(dest, release_atom::value);
  fx.run();
  CHECK(posts.results == std::vector<int>{2});
  REQUIRE(posts.errors.size() == 1);
  CHECK(is(posts.errors[0], ec::rate_limited));
  CHECK(reads.results == std::vector<int>{6, 8});
  REQUIRE(reads.errors.size() == 1);
  CHECK(is(reads.errors[0], ec::rate_limited));

  // A request without a user (login, health) draws on neither.
  outcome anyone;
  for (int x : {10, 11, 12})
    ask<int>(
      gw, requester{}, dest, [&anyone](int& r) { anyone.results.push_back(r); },
      [&anyone](caf::error& e) { anyone.errors.push_back(e); }, x);
  fx.run();
  caf::anon_send(dest, release_atom::value);
  fx.run();
  CHECK(anyone.results == std::vector<int>{20, 22, 24});
  CHECK(anyone.errors.empty());
}
