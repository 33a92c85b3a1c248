// The database worker's grouped inbox reads (persistence/replay_batch.hpp),
// driven directly against the test database: reads queued behind a busy
// worker are answered by one statement, and each answer must be what the
// read alone gets. Here a held row lock keeps the worker busy.
#include <chrono>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "actors/events.hpp"
#include "persistence/inbox_queries.hpp"
#include "persistence/replay_batch.hpp"
#include "psql.hpp"
#include "worker_fixture.hpp"

using namespace parley;
using namespace std::chrono_literals;
using itest::worker_fixture;
using request = queries::inbox_request;

namespace {

// An answer as text, so that two answers compare whole and print readably.
std::string describe(const caf::expected<inbox_page>& answer) {
  if (!answer) {
    if (is(answer.error(), ec::not_found))
      return "not found";
    return is(answer.error(), ec::db_unavailable) ? "unavailable"
                                                  : "other error";
  }
  std::string out = "last " + std::to_string(answer->last_seq) + ", min "
                    + std::to_string(answer->min_seq) + ":";
  for (const auto& ev : answer->events)
    out += " [" + std::to_string(ev.seq) + " " + std::to_string(ev.msg.id) + " "
           + ev.msg.content + " by " + std::to_string(ev.msg.user_id) + " in "
           + std::to_string(ev.msg.conversation_id) + " at " + ev.msg.created_at
           + "]";
  return out;
}

caf::expected<inbox_page> ask_replay(worker_fixture& f, const request& r) {
  caf::expected<inbox_page> out{make_error(ec::db_error)};
  (*f.self)
    ->request(f.worker, 10s, replay_atom::value, r.user, r.after, r.limit)
    .receive([&](inbox_page& page) { out = std::move(page); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

// Each read alone: nothing else is in the worker's mailbox.
std::vector<std::string> alone(worker_fixture& f,
                               const std::vector<request>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests)
    out.push_back(describe(ask_replay(f, r)));
  return out;
}

// All reads queued while the worker waits for a row lock in another
// statement (marking a conversation of two other users read), so that
// they are in its mailbox together once the lock goes.
std::vector<std::string> queued(worker_fixture& f,
                                const std::vector<request>& requests) {
  auto other = f.pair_and_outsider();
  auto holder = "parley_replays_" + std::to_string(other.alice.id);
  itest::psql_session lock{holder};
  lock.send("BEGIN; SELECT 1 FROM participants WHERE user_id = "
            + std::to_string(other.alice.id) + " AND conversation_id = "
            + std::to_string(other.conv) + " FOR UPDATE;");
  REQUIRE(itest::wait_for_session(holder, "FOR UPDATE"));
  auto& self = *f.self;
  auto busy = self->request(f.worker, 10s, read_atom::value, other.alice.id,
                            other.conv);
  REQUIRE(itest::wait_for_blocked_by(holder));
  std::vector<decltype(self->request(f.worker, 10s, replay_atom::value,
                                     int64_t{}, int64_t{}, int64_t{}))>
    pending;
  // A send returns once the request is in the mailbox.
  for (const auto& r : requests)
    pending.push_back(self->request(f.worker, 10s, replay_atom::value, r.user,
                                    r.after, r.limit));
  lock.send("COMMIT;");
  busy.receive([](bool) {},
               [&](caf::error& err) {
                 FAIL("mark read: " << self->system().render(err));
               });
  std::vector<std::string> out;
  for (auto& handle : pending)
    handle.receive(
      [&](inbox_page& page) { out.push_back(describe(std::move(page))); },
      [&](caf::error& err) { out.push_back(describe(std::move(err))); });
  return out;
}

// All reads sent at once, then every answer taken, in order.
std::vector<std::string> sent_together(worker_fixture& f,
                                       const std::vector<request>& requests) {
  auto& self = *f.self;
  std::vector<decltype(self->request(f.worker, 10s, replay_atom::value,
                                     int64_t{}, int64_t{}, int64_t{}))>
    pending;
  for (const auto& r : requests)
    pending.push_back(self->request(f.worker, 10s, replay_atom::value, r.user,
                                    r.after, r.limit));
  std::vector<std::string> out;
  for (auto& handle : pending)
    handle.receive(
      [&](inbox_page& page) { out.push_back(describe(std::move(page))); },
      [&](caf::error& err) { out.push_back(describe(std::move(err))); });
  return out;
}

struct statements {
  int64_t reads, replays;
};

statements counted(const worker_fixture& f) {
  return {f.counters->replay_batches.load(),
          f.counters->replays_batched.load()};
}

// Alice and Bob with five messages between them (seqs 1 to 5 in both
// inboxes), and Carol with an empty inbox.
struct chat {
  worker_fixture::cast people;
  std::vector<message> sent;
};

chat five_messages(worker_fixture& f) {
  chat c{f.pair_and_outsider(), {}};
  const auto& p = c.people;
  const std::vector<std::pair<int64_t, std::string>> posts{{p.alice.id, "a1"},
                                                           {p.alice.id, "a2"},
                                                           {p.alice.id, "a3"},
                                                           {p.bob.id, "b1"},
                                                           {p.bob.id, "b2"}};
  for (const auto& [from, text] : posts)
    c.sent.push_back(f.ask<posted_message>(msg_post_atom::value, from, p.conv,
                                           text, std::string{})
                       .msg);
  return c;
}

} // namespace

TEST_CASE("inbox reads queued behind a busy worker are answered by one "
          "statement, each as the read alone is",
          "[integration][persistence]") {
  worker_fixture f;
  auto c = five_messages(f);
  const auto& p = c.people;
  const std::vector<request> requests{
    {p.bob.id, 0, 100},        // everything
    {p.bob.id, 2, 2},          // a page from the middle
    {p.alice.id, -1, 0},       // counters only (a fresh stream)
    {p.alice.id, 5, 100},      // nothing after the newest
    {p.carol.id, 0, 100},      // an empty inbox
    {999'999'999'999, 0, 100}, // no such user
    {p.bob.id, 0, 100},        // the same user twice
    {p.alice.id, 1, 100}};     // another user's page

  auto before = counted(f);
  auto each = alone(f, requests);
  CHECK(counted(f).reads - before.reads == 8);
  // What the reads alone say, so the comparison below is not of nothing.
  auto ev = [&](int64_t seq, const message& m) {
    return " [" + std::to_string(seq) + " " + std::to_string(m.id) + " "
           + m.content + " by " + std::to_string(m.user_id) + " in "
           + std::to_string(p.conv) + " at " + m.created_at + "]";
  };
  std::string all;
  for (size_t i = 0; i < c.sent.size(); ++i)
    all += ev(static_cast<int64_t>(i + 1), c.sent[i]);
  CHECK(each[0] == "last 5, min 1:" + all);
  CHECK(each[1] == "last 5, min 1:" + ev(3, c.sent[2]) + ev(4, c.sent[3]));
  CHECK(each[2] == "last 5, min 1:");
  CHECK(each[3] == "last 5, min 1:");
  CHECK(each[4] == "last 0, min 0:");
  CHECK(each[5] == "not found");

  before = counted(f);
  auto together = queued(f, requests);
  CHECK(counted(f).reads - before.reads == 1);
  CHECK(counted(f).replays - before.replays == 8);
  CHECK(together == each);
}

TEST_CASE("more inbox reads queued than one statement takes are answered "
          "in chunks, each as the read alone is",
          "[integration][persistence]") {
  worker_fixture f;
  auto c = five_messages(f);
  const auto& p = c.people;
  // Every cursor of both users, over and over: two full chunks and a few.
  std::vector<request> requests;
  for (size_t i = 0; requests.size() < 2 * max_replay_batch + 3; ++i)
    requests.push_back({i % 2 ? p.alice.id : p.bob.id,
                        static_cast<int64_t>(i % 7) - 1, int64_t{2}});
  std::vector<request> kinds(requests.begin(), requests.begin() + 14);
  auto each = alone(f, kinds);

  auto before = counted(f);
  auto together = queued(f, requests);
  CHECK(counted(f).reads - before.reads == 3);
  CHECK(counted(f).replays - before.replays
        == static_cast<int64_t>(requests.size()));
  REQUIRE(together.size() == requests.size());
  for (size_t i = 0; i < together.size(); ++i) {
    INFO("read " << i);
    CHECK(together[i] == each[i % kinds.size()]);
  }
}

TEST_CASE("a grouped inbox read that fails fails each read in it, and the "
          "worker answers the same reads once the database does",
          "[integration][persistence]") {
  worker_fixture f;
  auto c = five_messages(f);
  const auto& p = c.people;
  const std::vector<request> requests{{p.bob.id, 0, 100},
                                      {p.alice.id, 2, 2},
                                      {p.alice.id, -1, 0},
                                      {p.carol.id, 0, 100},
                                      {p.bob.id, 0, 100}};
  auto each = alone(f, requests);
  CHECK(each[0].rfind("last 5, min 1: [1 ", 0) == 0);

  // A second worker whose statements are cancelled after 300 ms (the
  // set-up's posts ran without so short a limit).
  worker_fixture g{300ms};
  auto before = counted(g);
  std::vector<std::string> refused;
  {
    // No read of deliveries gets past this lock: each statement waits until
    // it is cancelled. (Other tests' posts and reads wait too, well under a
    // second.)
    auto holder = "parley_replays_fail_" + std::to_string(p.alice.id);
    itest::psql_session lock{holder};
    lock.send("BEGIN; LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE;");
    REQUIRE(itest::wait_for_session(holder, "LOCK TABLE"));
    refused = sent_together(g, requests);
    lock.send("COMMIT;");
  }
  CHECK(refused == std::vector<std::string>(requests.size(), "unavailable"));
  auto statements_run = counted(g).reads - before.reads;
  CHECK(counted(g).replays - before.replays
        == static_cast<int64_t>(requests.size()));
  // At most one read ran alone before the rest queued behind it: a group
  // failed whole.
  CHECK(statements_run >= 1);
  CHECK(statements_run <= 2);

  CHECK(sent_together(g, requests) == each);
}
