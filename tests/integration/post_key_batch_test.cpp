// Idempotency keys in the database worker's group commit
// (persistence/post_batch.cpp), driven directly: a post that repeats the
// key of an earlier one in a batch, or two posts with one key in the same
// batch, are answered with the one message saved, and it is delivered once.
// A held row lock makes the batches.
#include <chrono>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "psql.hpp"
#include "worker_fixture.hpp"

using namespace parley;
using namespace std::chrono_literals;
using itest::worker_fixture;

namespace {

struct post {
  int64_t from;
  std::string text, key;
};

// Posts `queued` while the worker waits inside the statement of a post by
// `holder_user` that a held lock on that user's row stops: they queue in
// its mailbox and go as one batch once the lock goes. The answers, the held
// post's first.
std::vector<caf::expected<posted_message>>
batch_behind_lock(worker_fixture& f, int64_t holder_user, int64_t conv,
                  const std::vector<post>& queued) {
  auto holder = "parley_keys_" + std::to_string(holder_user);
  itest::psql_session lock{holder};
  lock.send("BEGIN; SELECT 1 FROM users WHERE id = "
            + std::to_string(holder_user) + " FOR UPDATE;");
  REQUIRE(itest::wait_for_session(holder, "FOR UPDATE"));
  auto& self = *f.self;
  auto send = [&](const post& p) {
    return self->request(f.worker, 10s, msg_post_atom::value, p.from, conv,
                         p.text, p.key);
  };
  std::vector<decltype(send(post{}))> pending;
  pending.push_back(send({holder_user, "held", ""}));
  REQUIRE(itest::wait_for_blocked_by(holder));
  for (const auto& p : queued)
    pending.push_back(send(p));
  lock.send("COMMIT;");
  std::vector<caf::expected<posted_message>> out;
  for (auto& handle : pending)
    handle.receive([&](posted_message& m) { out.emplace_back(std::move(m)); },
                   [&](caf::error& err) { out.emplace_back(std::move(err)); });
  return out;
}

// The ids of the next `n` messages the worker handed to its broker, in
// ascending order (message ids rise in batch order).
std::vector<int64_t> delivered(worker_fixture& f, size_t n) {
  std::vector<int64_t> ids;
  auto got = f.deliveries(n);
  for (const auto& [id, seqs] : got)
    ids.push_back(id);
  return ids;
}

// Whether the broker got nothing more: a post is answered after its
// delivery is sent, so once all answers are in, nothing else is coming.
bool nothing_more_delivered(worker_fixture& f) {
  bool empty = false;
  (*f.broker)->receive([](deliver_atom, const created_message&) {},
                       caf::after(0s) >> [&] { empty = true; });
  return empty;
}

} // namespace

TEST_CASE("posts that repeat an idempotency key, of an earlier post or "
          "within their batch, are answered with the one message saved",
          "[integration][persistence]") {
  worker_fixture f;
  auto people = f.pair_and_outsider();
  const auto &alice = people.alice, &bob = people.bob;
  auto conv = people.conv;
  auto first = f.ask<posted_message>(msg_post_atom::value, alice.id, conv,
                                     std::string{"k0 text"}, std::string{"k0"});
  CHECK_FALSE(first.replayed);
  const auto& earlier = first.msg;
  REQUIRE(delivered(f, 1) == std::vector<int64_t>{earlier.id});

  // A batch statement meets a key saved before: that post is not saved
  // again, the other one is.
  auto a = batch_behind_lock(f, alice.id, conv,
                             {{alice.id, "k0 text", "k0"}, {bob.id, "z", ""}});
  REQUIRE(a.size() == 3);
  for (const auto& answer : a)
    REQUIRE(answer);
  CHECK(a[1]->msg.id == earlier.id);
  CHECK(a[1]->replayed);
  CHECK_FALSE(a[2]->replayed);
  CHECK(a[1]->msg.created_at == earlier.created_at);
  CHECK(a[2]->msg.content == "z");
  CHECK(delivered(f, 2) == std::vector<int64_t>{a[0]->msg.id, a[2]->msg.id});
  CHECK(nothing_more_delivered(f));

  // One key twice in a batch: the first is saved with the batch, the
  // second answered after it with that message. One statement: no retry of
  // each post alone (as the index would have forced).
  auto commits = f.counters->post_batches.load();
  auto b = batch_behind_lock(
    f, alice.id, conv,
    {{alice.id, "x", "K"}, {bob.id, "y", ""}, {alice.id, "x", "K"}});
  REQUIRE(b.size() == 4);
  for (const auto& answer : b)
    REQUIRE(answer);
  CHECK(b[3]->msg.id == b[1]->msg.id);
  CHECK(b[3]->replayed);
  CHECK_FALSE(b[1]->replayed);
  CHECK(b[3]->msg.created_at == b[1]->msg.created_at);
  CHECK(f.counters->post_batches.load() - commits == 2); // held, then x + y
  CHECK(delivered(f, 3)
        == std::vector<int64_t>{b[0]->msg.id, b[1]->msg.id, b[2]->msg.id});
  CHECK(nothing_more_delivered(f));

  // Other content with a used key is refused; nothing is saved.
  auto c = batch_behind_lock(f, alice.id, conv, {{alice.id, "not x", "K"}});
  REQUIRE(c.size() == 2);
  REQUIRE_FALSE(c[1]);
  CHECK(is(c[1].error(), ec::key_reused));
  CHECK(delivered(f, 1) == std::vector<int64_t>{c[0]->msg.id});
  CHECK(nothing_more_delivered(f));

  // Every message once: earlier, held, z, held, x, y, held.
  CHECK(
    f.ask<message_list>(msg_list_atom::value, alice.id, conv, int64_t{0}).size()
    == 7);
}
