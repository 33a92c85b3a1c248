// The database worker's group commit, driven directly against the test
// database: a batch of one and a batch of many are saved by two different
// statements (persistence/post_queries.cpp), and both must have the same
// effects. Through the HTTP server which statement runs depends on timing;
// here a held row lock makes the batch.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "actors/events.hpp"
#include "actors/metrics.hpp"
#include "api.hpp"
#include "persistence/db_worker.hpp"
#include "persistence/migrations.hpp"
#include "psql.hpp"
#include "server_process.hpp"
#include "worker_fixture.hpp"

using namespace parley;
using itest::worker_fixture;
using namespace std::chrono_literals;

namespace {

int64_t batches(const worker_fixture& f) {
  return f.counters->post_batches.load();
}

int64_t batched(const worker_fixture& f) {
  return f.counters->posts_batched.load();
}

} // namespace

TEST_CASE("posts queued behind a running statement are saved as one batch "
          "with the effects of posts saved alone",
          "[integration][persistence]") {
  worker_fixture f;
  // Not a structured binding: C++17 lambdas cannot capture those.
  auto people = f.pair_and_outsider();
  const auto &alice = people.alice, &bob = people.bob, &carol = people.carol;
  auto conv = people.conv;
  auto post = [&](const user& from, std::string text) {
    return f
      .ask<posted_message>(msg_post_atom::value, from.id, conv, text,
                           std::string{})
      .msg;
  };

  // Alone: a batch of one, each. Before them, both read times are older
  // than `before` (set when the conversation was made).
  auto before = itest::psql_value("SELECT clock_timestamp()");
  auto read_since_before = [&] {
    return itest::psql_value(
      "SELECT count(*) FROM participants WHERE conversation_id = "
      + std::to_string(conv) + " AND messages_read_at >= '" + before + "'");
  };
  REQUIRE(read_since_before() == "0");
  auto first = post(alice, "alone 1");
  auto second = post(bob, "alone 2");
  CHECK(batches(f) == 2);
  CHECK(batched(f) == 2);
  CHECK(second.id > first.id);
  // What the statement for one post leaves: the conversation's last message,
  // and each sender's read cursor at their own post.
  auto bob_view = f.ask<conversation>(conv_get_atom::value, bob.id, conv);
  REQUIRE(bob_view.last_message);
  CHECK(bob_view.last_message->id == second.id);
  CHECK_FALSE(bob_view.has_unread);
  CHECK(f.ask<conversation>(conv_get_atom::value, alice.id, conv).has_unread);
  // The read time (SPEC §1's messages_read_at) moved for both senders too.
  CHECK(read_since_before() == "2");

  // Alice's user row held, and her inbox counter moved on by 10 (as another
  // batch would): her next post waits inside its statement, and four more
  // (one by an outsider) queue in the worker's mailbox. Once the holder
  // commits, the statements must count on from the counter it wrote.
  auto holder = "parley_batch_" + std::to_string(alice.id);
  itest::psql_session lock{holder};
  lock.send("BEGIN; UPDATE users SET last_seq = last_seq + 10 WHERE id = "
            + std::to_string(alice.id) + ";");
  REQUIRE(itest::wait_for_session(holder, "UPDATE users"));
  auto& self = *f.self;
  auto send_post = [&](int64_t from, const std::string& text) {
    return self->request(f.worker, 10s, msg_post_atom::value, from, conv, text,
                         std::string{});
  };
  std::vector<decltype(send_post(0, ""))> pending;
  pending.push_back(send_post(alice.id, "held"));
  REQUIRE(itest::wait_for_blocked_by(holder));
  const std::vector<std::pair<int64_t, std::string>> queued{
    {bob.id, "q1 \"quoted\", {braces}"},
    {carol.id, "outsider"},
    {alice.id, "q2 NULL"},
    {bob.id, "q3 \\ backslash"}};
  // A send returns once the message is in the mailbox: all four queue.
  for (const auto& [from, text] : queued)
    pending.push_back(send_post(from, text));
  lock.send("COMMIT;");

  std::vector<message> saved;
  std::vector<caf::error> errors;
  for (auto& handle : pending)
    handle.receive([&](posted_message& m) { saved.push_back(m.msg); },
                   [&](caf::error& err) { errors.push_back(err); });
  // "held" alone, then the four together; the outsider's is refused.
  CHECK(batches(f) == 4);
  CHECK(batched(f) == 7);
  REQUIRE(saved.size() == 4);
  REQUIRE(errors.size() == 1);
  CHECK(is(errors[0], ec::not_found));
  CHECK(saved[0].content == "held");
  CHECK(saved[1].content == queued[0].second);
  CHECK(saved[2].content == queued[2].second);
  CHECK(saved[3].content == queued[3].second);
  for (size_t i = 1; i < saved.size(); ++i)
    CHECK(saved[i].id > saved[i - 1].id);

  // Every participant got every message in message order, from both
  // statements alike: bob seqs 1 to 6, alice 1, 2, then 13 to 16 after the
  // holder's 10; the outsider's inbox stays empty.
  auto delivered = f.deliveries(6);
  REQUIRE(delivered.size() == 6);
  int64_t seq = 0;
  for (const auto& [id, seqs] : delivered) {
    ++seq;
    INFO("message " << id);
    auto alice_seq = seq <= 2 ? seq : seq + 10;
    CHECK(seqs
          == std::map<int64_t, int64_t>{{alice.id, alice_seq}, {bob.id, seq}});
  }
  CHECK(
    f.ask<inbox_page>(replay_atom::value, alice.id, int64_t{0}, int64_t{100})
      .last_seq
    == 16);
  auto inbox
    = f.ask<inbox_page>(replay_atom::value, bob.id, int64_t{0}, int64_t{100});
  CHECK(inbox.last_seq == 6);
  REQUIRE(inbox.events.size() == 6);
  CHECK(inbox.events.back().msg.id == saved.back().id);
  CHECK(
    f.ask<inbox_page>(replay_atom::value, carol.id, int64_t{0}, int64_t{100})
      .events.empty());

  // The conversation's state is the same as posts alone leave: the newest
  // last message, each sender's read cursor at their own newest post.
  auto seen_by_bob = f.ask<conversation>(conv_get_atom::value, bob.id, conv);
  REQUIRE(seen_by_bob.last_message);
  CHECK(seen_by_bob.last_message->id == saved.back().id);
  CHECK_FALSE(seen_by_bob.has_unread); // his own post is the newest
  auto seen_by_alice
    = f.ask<conversation>(conv_get_atom::value, alice.id, conv);
  CHECK(seen_by_alice.has_unread); // bob's last post came after hers
  // (Listing marks the conversation read: after the checks above.)
  auto listed
    = f.ask<message_list>(msg_list_atom::value, alice.id, conv, int64_t{0});
  REQUIRE(listed.size() == 6);
  CHECK(listed.front().id == saved.back().id);
  CHECK(listed.back().id == first.id);
}

TEST_CASE("an outsider's or an unknown user's post alone is refused by the "
          "single-post statement and writes nothing",
          "[integration][persistence]") {
  worker_fixture f;
  auto people = f.pair_and_outsider();
  const auto &alice = people.alice, &bob = people.bob, &carol = people.carol;
  auto conv = people.conv;
  auto refusal = [&](int64_t caller) {
    caf::error refused;
    (*f.self)
      ->request(f.worker, 10s, msg_post_atom::value, caller, conv,
                std::string{"let me in"}, std::string{})
      .receive([](posted_message&) {}, [&](caf::error& err) { refused = err; });
    return refused;
  };
  CHECK(is(refusal(carol.id), ec::not_found));
  CHECK(is(refusal(int64_t{999'999'999'999}), ec::unknown_caller));
  CHECK(batches(f) == 2);
  CHECK(f.ask<message_list>(msg_list_atom::value, alice.id, conv, int64_t{0})
          .empty());
  for (const auto& who : {alice, bob, carol})
    CHECK(
      f.ask<inbox_page>(replay_atom::value, who.id, int64_t{0}, int64_t{100})
        .last_seq
      == 0);
  CHECK_FALSE(
    f.ask<conversation>(conv_get_atom::value, bob.id, conv).last_message);
}
