#include "actors/broker.hpp"

#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "actor_fixture.hpp"
#include "actors/atoms.hpp"
#include "actors/errors.hpp"

using namespace parley;
using namespace parley::test;

namespace {

// An actor that records the seqs of the events it is sent.
caf::behavior recorder(caf::event_based_actor*,
                       std::shared_ptr<std::vector<int64_t>> seen) {
  return {
    [seen](event_atom, const sse_event& ev) { seen->push_back(ev.seq); },
    [](shutdown_atom) {},
  };
}

// An actor that records, per event, whether it came with bytes.
caf::behavior bytes_recorder(caf::event_based_actor*,
                             std::shared_ptr<std::vector<bool>> with_bytes) {
  return {
    [with_bytes](event_atom, const sse_event& ev) {
      with_bytes->push_back(ev.bytes != nullptr);
    },
    [](shutdown_atom) {},
  };
}

// test_format, counting its calls in `calls`.
event_formatter counting_format(std::shared_ptr<int> calls) {
  return [calls](const message& m, int64_t r, int64_t s) {
    ++*calls;
    return test_format(m, r, s);
  };
}

created_message created(int64_t id, int64_t sender, std::vector<recipient> to) {
  return created_message{msg(id, sender), std::move(to)};
}

broker_state& state_of(const caf::actor& broker) {
  auto* ptr = caf::actor_cast<caf::abstract_actor*>(broker);
  return dynamic_cast<caf::stateful_actor<broker_state>&>(*ptr).state;
}

} // namespace

TEST_CASE("the broker routes each event to its recipients only",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  auto alice = std::make_shared<std::vector<int64_t>>();
  auto bob_tab1 = std::make_shared<std::vector<int64_t>>();
  auto bob_tab2 = std::make_shared<std::vector<int64_t>>();
  auto carol = std::make_shared<std::vector<int64_t>>();
  caf::anon_send(broker, subscribe_atom::value, int64_t{1},
                 fx.spawn(recorder, alice), false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{2},
                 fx.spawn(recorder, bob_tab1), false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{2},
                 fx.spawn(recorder, bob_tab2), false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{3},
                 fx.spawn(recorder, carol), false);
  fx.run();
  // Alice (1) writes to Bob (2): inbox seqs 7 for Alice, 4 for Bob.
  caf::anon_send(broker, deliver_atom::value,
                 created(100, 1, {{1, 7}, {2, 4}}));
  fx.run();
  CHECK(*alice == std::vector<int64_t>{7});
  CHECK(*bob_tab1 == std::vector<int64_t>{4});
  CHECK(*bob_tab2 == std::vector<int64_t>{4});
  CHECK(carol->empty());
}

TEST_CASE("one serialisation per user, shared by all its streams",
          "[actors][broker]") {
  actor_fixture fx;
  auto calls = std::make_shared<int>(0);
  auto broker = fx.spawn(parley::broker, counting_format(calls), nullptr,
                         stream_limits{});
  for (int tab = 0; tab < 3; ++tab)
    caf::anon_send(broker, subscribe_atom::value, int64_t{2},
                   fx.spawn(recorder, std::make_shared<std::vector<int64_t>>()),
                   false);
  fx.run();
  caf::anon_send(broker, deliver_atom::value,
                 created(100, 1, {{1, 1}, {2, 1}}));
  fx.run();
  CHECK(*calls == 1); // user 1 has no stream: no work for it at all
}

TEST_CASE("a stream actor that dies is forgotten without unsubscribing",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  auto seen = std::make_shared<std::vector<int64_t>>();
  auto doomed = fx.spawn(recorder, seen);
  auto survivor = fx.spawn(recorder, seen);
  caf::anon_send(broker, subscribe_atom::value, int64_t{5}, doomed, false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{6}, survivor, false);
  fx.run();
  REQUIRE(state_of(broker).subscribers.size() == 2);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  fx.run();
  // The down message removed user 5 entirely: no stream, no memory.
  CHECK(state_of(broker).subscribers.count(5) == 0);
  CHECK(state_of(broker).subscribers.count(6) == 1);
  CHECK(state_of(broker).user_of.size() == 1);
  caf::anon_send(broker, deliver_atom::value,
                 created(100, 6, {{5, 1}, {6, 1}}));
  fx.run();
  CHECK(*seen == std::vector<int64_t>{1});
}

TEST_CASE("one tab of a user closing leaves the user's other tabs",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  auto seen = std::make_shared<std::vector<int64_t>>();
  auto closed_tab = fx.spawn(recorder, seen);
  auto open_tab = fx.spawn(recorder, seen);
  caf::anon_send(broker, subscribe_atom::value, int64_t{7}, closed_tab, false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{7}, open_tab, false);
  fx.run();
  caf::anon_send_exit(closed_tab, caf::exit_reason::kill);
  fx.run();
  REQUIRE(state_of(broker).subscribers.count(7) == 1);
  CHECK(state_of(broker).subscribers.at(7).actors.size() == 1);
  CHECK(state_of(broker).user_of.size() == 1);
  caf::anon_send(broker, deliver_atom::value, created(100, 6, {{7, 3}}));
  fx.run();
  CHECK(*seen == std::vector<int64_t>{3});
}

TEST_CASE("shutdown reaches every stream, also late subscribers",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  auto told = std::make_shared<int>(0);
  auto listener = [told](caf::event_based_actor*) -> caf::behavior {
    return {[told](shutdown_atom) { ++*told; }};
  };
  caf::anon_send(broker, subscribe_atom::value, int64_t{1}, fx.spawn(listener),
                 false);
  fx.run();
  caf::anon_send(broker, shutdown_atom::value);
  fx.run();
  CHECK(*told == 1);
  caf::anon_send(broker, subscribe_atom::value, int64_t{2}, fx.spawn(listener),
                 false);
  fx.run();
  CHECK(*told == 2);
}

TEST_CASE("tabs of one user closing in any order leave exactly the others",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  std::vector<std::shared_ptr<std::vector<int64_t>>> seen;
  std::vector<caf::actor> tabs;
  for (int i = 0; i < 5; ++i) {
    seen.push_back(std::make_shared<std::vector<int64_t>>());
    tabs.push_back(fx.spawn(recorder, seen.back()));
    caf::anon_send(broker, subscribe_atom::value, int64_t{8}, tabs.back(),
                   false);
  }
  fx.run();
  // The first and a middle one: each removal moves the last tab into the gap.
  for (int i : {0, 2})
    caf::anon_send_exit(tabs[i], caf::exit_reason::kill);
  fx.run();
  caf::anon_send(broker, deliver_atom::value, created(100, 6, {{8, 4}}));
  fx.run();
  for (int i = 0; i < 5; ++i)
    CHECK(
      *seen[i]
      == (i == 0 || i == 2 ? std::vector<int64_t>{} : std::vector<int64_t>{4}));
  auto& st = state_of(broker);
  REQUIRE(st.subscribers.count(8) == 1);
  CHECK(st.subscribers.at(8).actors.size() == 3);
  for (const auto& [addr, where] : st.user_of)
    CHECK(st.subscribers.at(where.user).actors.at(where.index).compare(addr)
          == 0);
  // Then the rest, last first: the user is gone with its last tab.
  for (int i : {4, 1, 3})
    caf::anon_send_exit(tabs[i], caf::exit_reason::kill);
  fx.run();
  CHECK(st.subscribers.count(8) == 0);
  CHECK(st.user_of.empty());
}

TEST_CASE("the sender's own event is serialised only while one of the "
          "sender's streams shows own messages",
          "[actors][broker]") {
  actor_fixture fx;
  auto calls = std::make_shared<int>(0);
  auto broker = fx.spawn(parley::broker, counting_format(calls), nullptr,
                         stream_limits{});
  auto plain = std::make_shared<std::vector<bool>>();
  auto peer = std::make_shared<std::vector<bool>>();
  caf::anon_send(broker, subscribe_atom::value, int64_t{1},
                 fx.spawn(bytes_recorder, plain), false);
  caf::anon_send(broker, subscribe_atom::value, int64_t{2},
                 fx.spawn(bytes_recorder, peer), false);
  fx.run();
  // User 1 writes to user 2: only user 2's event is serialised.
  caf::anon_send(broker, deliver_atom::value,
                 created(100, 1, {{1, 1}, {2, 1}}));
  fx.run();
  CHECK(*calls == 1);
  CHECK(*plain == std::vector<bool>{false}); // the seq alone
  CHECK(*peer == std::vector<bool>{true});
  // A tab of user 1 that shows own messages: serialised, for both tabs.
  auto shows_own = std::make_shared<std::vector<bool>>();
  auto own_tab = fx.spawn(bytes_recorder, shows_own);
  caf::anon_send(broker, subscribe_atom::value, int64_t{1}, own_tab, true);
  fx.run();
  caf::anon_send(broker, deliver_atom::value,
                 created(101, 1, {{1, 2}, {2, 2}}));
  fx.run();
  CHECK(*calls == 3);
  CHECK(*shows_own == std::vector<bool>{true});
  CHECK(plain->back());
  // It closes: back to the seq alone.
  caf::anon_send_exit(own_tab, caf::exit_reason::kill);
  fx.run();
  caf::anon_send(broker, deliver_atom::value,
                 created(102, 1, {{1, 3}, {2, 3}}));
  fx.run();
  CHECK(*calls == 4);
  CHECK(*plain == std::vector<bool>{false, true, false});
}

namespace {

// A stream actor's stand-in that subscribes as `user` and records the
// broker's answer: "ok", "too many" or "wait N" (seconds, past the
// allowance of opens).
caf::behavior subscribing_tab(caf::event_based_actor* self, caf::actor broker,
                              int64_t user,
                              std::shared_ptr<std::vector<std::string>> said) {
  self
    ->request(broker, caf::infinite, subscribe_atom::value, user,
              caf::actor_cast<caf::actor>(self), false)
    .then([said](bool) { said->push_back("ok"); },
          [said](caf::error& err) {
            if (is(err, ec::rate_limited))
              said->push_back("wait " + std::to_string(retry_after(err)));
            else
              said->push_back(is(err, ec::too_many_streams) ? "too many"
                                                            : "other error");
          });
  return {
    [](event_atom, const sse_event&) {},
    [](shutdown_atom) {},
  };
}

} // namespace

TEST_CASE("the broker refuses a user's stream past the per-user limit, and "
          "takes one again once a stream of theirs is gone",
          "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{2, {}});
  auto said = std::make_shared<std::vector<std::string>>();
  auto first = fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  fx.spawn(subscribing_tab, broker, int64_t{1}, said); // the third
  fx.spawn(subscribing_tab, broker, int64_t{2}, said); // another user
  fx.run();
  CHECK(*said == std::vector<std::string>{"ok", "ok", "too many", "ok"});
  CHECK(state_of(broker).subscribers.at(1).actors.size() == 2);
  caf::anon_send_exit(first, caf::exit_reason::kill);
  fx.run();
  fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  CHECK(said->back() == "ok");
  CHECK(state_of(broker).subscribers.at(1).actors.size() == 2);
}

TEST_CASE("a per-user stream limit of 0 is no limit", "[actors][broker]") {
  actor_fixture fx;
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{});
  auto said = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < 100; ++i)
    fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  CHECK(said->size() == 100);
  CHECK(std::count(said->begin(), said->end(), "ok") == 100);
}

TEST_CASE("the broker refuses a user's opens past their allowance with the "
          "wait, even once a stream of theirs is gone, and takes them again "
          "when the wait is over",
          "[actors][broker]") {
  actor_fixture fx;
  // Two at once, then one every 2 s; at most 3 open at once.
  auto broker = fx.spawn(parley::broker, event_formatter{test_format}, nullptr,
                         stream_limits{3, rate_limit{0.5, 2}});
  auto said = std::make_shared<std::vector<std::string>>();
  auto first = fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  fx.spawn(subscribing_tab, broker, int64_t{1}, said); // the third open
  fx.spawn(subscribing_tab, broker, int64_t{2}, said); // another user
  fx.run();
  CHECK(*said == std::vector<std::string>{"ok", "ok", "wait 2", "ok"});
  CHECK(state_of(broker).subscribers.at(1).actors.size() == 2);
  // A closed stream gives back room under the cap, not an open.
  caf::anon_send_exit(first, caf::exit_reason::kill);
  fx.run();
  fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  CHECK(said->back() == "wait 2");
  fx.sched.advance_time(std::chrono::seconds(2));
  fx.spawn(subscribing_tab, broker, int64_t{1}, said);
  fx.run();
  CHECK(said->back() == "ok");
  CHECK(state_of(broker).subscribers.at(1).actors.size() == 2);
}
