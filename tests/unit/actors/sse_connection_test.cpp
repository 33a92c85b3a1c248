#include "actors/sse_connection.hpp"

#include <optional>

#include <catch2/catch.hpp>

#include "actor_fixture.hpp"
#include "actors/errors.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;

namespace {

constexpr int64_t me = 2;
constexpr int64_t peer = 1;

using inbox_map = std::map<int64_t, message>;

// An inbox whose every read fails with `code`.
caf::behavior failing_inbox(caf::event_based_actor*, ec code) {
  return {
    [code](replay_atom, int64_t, int64_t, int64_t) -> caf::result<inbox_page> {
      return make_error(code);
    }};
}

// A broker that notes the subscriber's user and answers: at once or, with
// `hold`, on (release_atom); with a `refusal` it refuses with that error, as
// the real one does past its per-user limits. It sends no events (the tests
// do).
struct fake_broker_state {
  static inline const char* name = "fake_broker";
  std::optional<caf::response_promise> held;
};

caf::behavior fake_broker(caf::stateful_actor<fake_broker_state>* self,
                          int64_t* user, caf::error refusal, bool hold) {
  return {
    [=](subscribe_atom, int64_t u, const caf::actor&,
        bool) -> caf::result<bool> {
      *user = u;
      if (!hold)
        return refusal ? caf::result<bool>{refusal} : caf::result<bool>{true};
      self->state.held = self->make_response_promise();
      return caf::delegated<bool>{};
    },
    [=](release_atom) {
      auto& held = self->state.held;
      if (!held)
        return;
      if (refusal)
        held->deliver(refusal);
      else
        held->deliver(true);
      held.reset();
    },
  };
}

// One stream actor for user `me`, fed by a fake broker (the tests send
// events straight to the stream actor).
struct stream_fixture : actor_fixture {
  std::shared_ptr<inbox_map> inbox = std::make_shared<inbox_map>();
  std::optional<ec> inbox_error; ///< set: every inbox read fails with it
  std::chrono::milliseconds heartbeat = 15s;
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  caf::actor db;
  caf::actor stream;
  int64_t subscribed_user = 0;
  caf::error broker_refusal; ///< set: the broker refuses with it
  bool hold_broker = false;  ///< set: its answer waits for (release_atom)
  caf::actor broker;
  bool shows_own = false;

  caf::actor start(int64_t resume_after, bool include_own = false,
                   bool hold_db = false) {
    db = inbox_error ? spawn(failing_inbox, *inbox_error)
                     : spawn(fake_inbox, inbox, hold_db);
    broker = spawn(fake_broker, &subscribed_user, broker_refusal, hold_broker);
    sse_connection_config c;
    c.user_id = me;
    c.include_own = shows_own = include_own;
    c.resume_after = resume_after;
    c.heartbeat = heartbeat;
    c.gap_timeout = 500ms;
    c.replay_page = 3; // small, so replays take several pages
    c.broker = broker;
    c.db = db;
    c.format = test_format;
    c.sink = sink;
    stream = spawn(sse_connection, c);
    return stream;
  }

  // A live event as the broker would send it: an own event to a stream
  // without include_own comes without bytes (broker.hpp).
  void live(int64_t seq, int64_t sender = peer) {
    auto m = msg(100 + seq, sender);
    bool own = sender == me;
    sse_event ev{seq, own, nullptr};
    if (!own || shows_own)
      ev.bytes = std::make_shared<const std::string>(test_format(m, me, seq));
    caf::anon_send(stream, event_atom::value, ev);
  }

  // Puts seq into the inbox (committed), as the database would.
  void commit(int64_t seq, int64_t sender = peer) {
    (*inbox)[seq] = msg(100 + seq, sender);
  }

  std::vector<int64_t> ids() const {
    return sink->data_ids();
  }

  // Inbox reads the stream actor sent (to a fake_inbox; the test scheduler
  // runs on this thread, so its state may be read here).
  int inbox_reads() const {
    auto* inbox_actor = caf::actor_cast<caf::abstract_actor*>(db);
    return dynamic_cast<caf::stateful_actor<fake_inbox_state>&>(*inbox_actor)
      .state.requests;
  }
};

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (auto i = from; i <= to; ++i)
    out.push_back(i);
  return out;
}

} // namespace

TEST_CASE("a fresh stream subscribes, sends its cursor, then goes live",
          "[actors][sse]") {
  stream_fixture fx;
  fx.commit(1);
  fx.commit(2);
  fx.start(-1);
  fx.run();
  CHECK(fx.subscribed_user == me);
  REQUIRE(fx.sink->writes.size() == 1);
  CHECK(fx.sink->writes[0] == "id: 2\n\n"); // lastEventId, no event
  fx.commit(3);
  fx.live(3);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{3});
}

TEST_CASE("seqs that arrive out of order are written in order",
          "[actors][sse]") {
  stream_fixture fx;
  fx.start(-1);
  fx.run();
  for (int64_t s : {1, 2, 3})
    fx.commit(s);
  fx.live(3);
  fx.live(2);
  fx.run();
  CHECK(fx.ids().empty()); // 1 is missing: hold 2 and 3
  fx.live(1);
  fx.run();
  CHECK(fx.ids() == range(1, 3));
  fx.live(2); // a duplicate is dropped
  fx.run();
  CHECK(fx.ids() == range(1, 3));
}

TEST_CASE("a gap that does not fill is read from the inbox", "[actors][sse]") {
  stream_fixture fx;
  fx.start(-1);
  fx.run();
  for (int64_t s : {1, 2, 3})
    fx.commit(s);
  fx.live(1);
  fx.live(3); // 2's live event is lost on the way
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{1});
  fx.advance(500ms); // the gap timer fires and reads after seq 1
  CHECK(fx.ids() == range(1, 3));
}

TEST_CASE("resume replays the inbox after the cursor, in pages",
          "[actors][sse]") {
  stream_fixture fx;
  for (int64_t s = 1; s <= 8; ++s)
    fx.commit(s);
  fx.start(2); // Last-Event-ID: 2
  fx.run();
  CHECK(fx.ids() == range(3, 8));      // pages of 3: 3-5, 6-8, then empty
  CHECK(fx.sink->drain_requests == 2); // each full page waited for the sink
}

TEST_CASE("live events during a replay merge with no gap and no duplicate",
          "[actors][sse]") {
  stream_fixture fx;
  for (int64_t s = 1; s <= 5; ++s)
    fx.commit(s);
  fx.start(1, false, true); // the inbox read is held back
  fx.run();
  // Meanwhile 5 (also in the inbox), 6 and 7 commit and arrive live.
  fx.commit(6);
  fx.commit(7);
  fx.live(5);
  fx.live(7);
  fx.live(6);
  fx.run();
  CHECK(fx.ids().empty());
  caf::anon_send(fx.db, release_atom::value);
  fx.run();
  CHECK(fx.ids() == range(2, 7));
  fx.commit(8);
  fx.live(8);
  fx.run();
  CHECK(fx.ids() == range(2, 8));
}

TEST_CASE("own messages are skipped without include_own, but keep order",
          "[actors][sse]") {
  stream_fixture fx;
  fx.start(-1);
  fx.run();
  fx.commit(1);
  fx.commit(2, me);
  fx.commit(3);
  fx.live(1);
  fx.live(2, me);
  fx.live(3);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{1, 3}); // 2 is the only hole
}

TEST_CASE("own events without bytes held during a replay keep order",
          "[actors][sse]") {
  stream_fixture fx;
  fx.commit(1);
  fx.commit(2, me);
  fx.start(0, false, true); // the inbox read is held back
  fx.run();
  // Live meanwhile, out of order: own 4 (no bytes), 3, own 5 (no bytes), 6.
  fx.commit(3);
  fx.commit(4, me);
  fx.commit(5, me);
  fx.commit(6);
  fx.live(4, me);
  fx.live(3);
  fx.live(6);
  fx.live(5, me);
  fx.run();
  caf::anon_send(fx.db, release_atom::value);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{1, 3, 6});
}

TEST_CASE("include_own carries the user's own messages", "[actors][sse]") {
  stream_fixture fx;
  fx.commit(1, me);
  fx.start(0, true); // replay everything
  fx.run();
  fx.commit(2, me);
  fx.live(2, me);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{1, 2});
}

TEST_CASE("an unknown cursor gets event: reset, then live", "[actors][sse]") {
  stream_fixture fx;
  fx.commit(1);
  fx.start(99);
  fx.run();
  REQUIRE(fx.sink->writes.size() == 1);
  CHECK(fx.sink->writes[0] == reset_event_bytes(1));
  fx.commit(2);
  fx.live(2);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{2});
}

TEST_CASE("a cursor older than the retained inbox gets event: reset",
          "[actors][sse]") {
  stream_fixture fx;
  fx.commit(10); // seqs 1..9 were pruned
  fx.start(3);
  fx.run();
  REQUIRE_FALSE(fx.sink->writes.empty());
  CHECK(fx.sink->writes[0].rfind("event: reset\n", 0) == 0);
}

namespace {

// The grid is heartbeat / 200: 75 ms for the fixture's 15 s.
constexpr caf::timespan grid = 75ms;

// Moves the clock to a grid point, so that 25 ms steps land on every grid
// point and a heartbeat off the grid is seen off it.
void align_clock(stream_fixture& fx) {
  auto off = fx.sched.clock().now().time_since_epoch() % grid;
  if (off != caf::timespan{0})
    fx.advance(grid - off);
}

// Advances the clock in 25 ms steps until the stream has written `n`
// heartbeats (at most `limit`); returns the clock time of the last one.
caf::actor_clock::time_point advance_to_heartbeat(stream_fixture& fx, long n,
                                                  caf::timespan limit) {
  auto count = [&] {
    return std::count(fx.sink->writes.begin(), fx.sink->writes.end(),
                      std::string{":\n\n"});
  };
  for (caf::timespan waited{0}; count() < n && waited < limit; waited += 25ms)
    fx.advance(25ms);
  return fx.sched.clock().now();
}

} // namespace

TEST_CASE("heartbeats come only after silence, on the tick grid",
          "[actors][sse]") {
  stream_fixture fx;
  align_clock(fx);
  fx.advance(20ms); // opened off the grid (and between two steps)
  auto opened = fx.sched.clock().now();
  fx.start(-1);
  fx.run();
  align_clock(fx);
  fx.run();
  auto first = advance_to_heartbeat(fx, 1, 20s);
  CHECK(first - opened >= 15s); // never early
  CHECK(first - opened <= 15s + grid);
  CHECK(first.time_since_epoch() % grid == caf::timespan{0});
  fx.advance(5s);
  fx.commit(1);
  fx.live(1); // a write restarts the silence
  fx.run();
  auto wrote = fx.sched.clock().now();
  auto second = advance_to_heartbeat(fx, 2, 20s);
  CHECK(second - wrote >= 15s);
  CHECK(second - wrote <= 15s + grid);
}

TEST_CASE("streams opened at different times share heartbeat ticks",
          "[actors][sse]") {
  stream_fixture a;
  stream_fixture b;
  // Both open off the grid, at different offsets (the two fixtures have
  // separate clocks); without the grid, neither heartbeat would be on it.
  align_clock(a);
  a.advance(10ms);
  a.start(-1);
  a.run();
  align_clock(a);
  align_clock(b);
  b.advance(40ms);
  b.start(-1);
  b.run();
  align_clock(b);
  auto ta = advance_to_heartbeat(a, 1, 20s).time_since_epoch();
  auto tb = advance_to_heartbeat(b, 1, 20s).time_since_epoch();
  // Whatever the moment it opened, a stream's heartbeat lands on the
  // 75 ms grid, where the other streams' ticks are.
  CHECK(ta % grid == caf::timespan{0});
  CHECK(tb % grid == caf::timespan{0});
}

TEST_CASE("the actor quits when its stream is gone", "[actors][sse]") {
  stream_fixture fx;
  auto stream = fx.start(-1);
  fx.run();
  auto exited = std::make_shared<bool>(false);
  stream->attach_functor([exited] { *exited = true; });
  fx.sink.reset(); // the last owner of the sink lets go
  fx.commit(1);
  fx.live(1);
  fx.run();
  CHECK(*exited);
}

TEST_CASE("a stream of a user who does not exist is refused, not opened",
          "[actors][sse]") {
  stream_fixture fx;
  fx.inbox_error = ec::not_found;
  auto stream = fx.start(-1);
  auto exited = std::make_shared<bool>(false);
  stream->attach_functor([exited] { *exited = true; });
  fx.run();
  REQUIRE(fx.sink->refused);
  CHECK(fx.sink->refused->reason == refusal::unknown_user);
  CHECK(fx.sink->opens == 0);
  CHECK_FALSE(fx.sink->closed);
  CHECK(fx.sink->writes.empty());
  CHECK(*exited);
}

TEST_CASE("a stream the broker refuses (too many for the user) is answered "
          "429, and its inbox is never read",
          "[actors][sse]") {
  stream_fixture fx;
  fx.broker_refusal = make_error(ec::too_many_streams);
  caf::actor stream;
  SECTION("the broker answers at once") {
    stream = fx.start(-1);
  }
  SECTION("the broker answers late") {
    fx.hold_broker = true;
    stream = fx.start(-1);
    fx.run();
    CHECK_FALSE(fx.sink->refused);
    CHECK(fx.inbox_reads() == 0); // not before the broker's answer
    caf::anon_send(fx.broker, release_atom::value);
  }
  auto exited = std::make_shared<bool>(false);
  stream->attach_functor([exited] { *exited = true; });
  fx.run();
  REQUIRE(fx.sink->refused);
  CHECK(fx.sink->refused->reason == refusal::too_many_streams);
  CHECK(*exited);
  CHECK(fx.inbox_reads() == 0);
  CHECK(fx.subscribed_user == me);
  CHECK(fx.sink->opens == 0);
  CHECK(fx.sink->writes.empty());
  CHECK_FALSE(fx.sink->closed);
}

TEST_CASE("a stream past its user's allowance of opens is answered 429 with "
          "the broker's wait, and its inbox is never read",
          "[actors][sse]") {
  stream_fixture fx;
  fx.broker_refusal = make_rate_limited(7);
  auto stream = fx.start(5);
  auto exited = std::make_shared<bool>(false);
  stream->attach_functor([exited] { *exited = true; });
  fx.run();
  REQUIRE(fx.sink->refused);
  CHECK(fx.sink->refused->reason == refusal::too_many_opens);
  CHECK(fx.sink->refused->retry_after == 7);
  CHECK(*exited);
  CHECK(fx.inbox_reads() == 0);
  CHECK(fx.sink->opens == 0);
  CHECK(fx.sink->writes.empty());
}

TEST_CASE("a stream reads its inbox only once the broker took it, and holds "
          "the live events that come before its first page",
          "[actors][sse]") {
  stream_fixture fx;
  fx.hold_broker = true;
  fx.commit(1);
  fx.start(-1, false, true); // the database holds the read, once sent
  fx.run();
  CHECK(fx.inbox_reads() == 0);
  CHECK(fx.sink->opens == 0);
  caf::anon_send(fx.broker, release_atom::value);
  fx.run();
  CHECK(fx.inbox_reads() == 1);
  CHECK(fx.sink->opens == 0);
  fx.live(2); // committed after the read, delivered before its page
  fx.run();
  CHECK(fx.sink->writes.empty());
  caf::anon_send(fx.db, release_atom::value);
  fx.run();
  fx.commit(2);
  CHECK(fx.sink->opens == 1);
  REQUIRE_FALSE(fx.sink->writes.empty());
  CHECK(fx.sink->writes[0] == "id: 1\n\n");
  CHECK(fx.ids() == std::vector<int64_t>{2});
}

TEST_CASE("a resumed stream with nothing to replay opens at once",
          "[actors][sse]") {
  stream_fixture fx;
  for (int64_t seq = 1; seq <= 5; ++seq)
    fx.commit(seq);
  fx.start(5);
  fx.run();
  CHECK(fx.sink->opens == 1); // the headers go out without a write
  CHECK(fx.sink->writes.empty());
  fx.commit(6);
  fx.live(6);
  fx.run();
  CHECK(fx.ids() == std::vector<int64_t>{6});
  CHECK(fx.sink->opens == 1);
}

TEST_CASE("a stream whose inbox read fails otherwise is closed (the client "
          "retries), not refused",
          "[actors][sse]") {
  stream_fixture fx;
  fx.inbox_error = ec::db_unavailable;
  fx.start(5);
  fx.run();
  CHECK(fx.sink->closed);
  CHECK_FALSE(fx.sink->refused);
  CHECK(fx.sink->writes.empty());
}

TEST_CASE("an inbox read or a subscription that never answers closes the "
          "stream at the first heartbeat tick after the fetch timeout",
          "[actors][sse]") {
  stream_fixture fx;
  fx.commit(1);
  caf::actor stream;
  SECTION("the database holds the read") {
    stream = fx.start(-1, false, true);
  }
  SECTION("the broker holds the subscription: nothing is read") {
    fx.hold_broker = true;
    stream = fx.start(-1);
  }
  auto exited = std::make_shared<bool>(false);
  stream->attach_functor([exited] { *exited = true; });
  fx.run();
  fx.advance(9s); // under the 10 s fetch timeout, before the 15 s heartbeat
  CHECK_FALSE(fx.sink->closed);
  fx.advance(7s); // past both: the tick finds the read overdue
  CHECK(fx.sink->closed);
  CHECK(*exited);
  CHECK(fx.sink->writes.empty()); // no heartbeat on a stream that never began
  CHECK(fx.inbox_reads() == (fx.hold_broker ? 0 : 1));
}

TEST_CASE("no heartbeat goes out before the first inbox read, which may "
          "still refuse the stream",
          "[actors][sse]") {
  stream_fixture fx;
  fx.heartbeat = 2s; // shorter than the 10 s fetch timeout
  auto stream = fx.start(-1, false, true); // the database holds the read
  fx.run();
  fx.advance(5s);                 // two heartbeat intervals
  CHECK(fx.sink->writes.empty()); // a write would send the 200's headers
  CHECK_FALSE(fx.sink->closed);
  fx.advance(6s); // past the fetch timeout, at a tick
  CHECK(fx.sink->closed);
  CHECK(fx.sink->writes.empty());
}
