#include "persistence/post_batch.hpp"

#include <set>
#include <tuple>

#include "actors/atoms.hpp"
#include "persistence/queries.hpp"
#include "persistence/transact.hpp"

namespace parley {

namespace {

using outcome = caf::expected<created_message>;
using saved_batch = std::vector<std::optional<created_message>>;

// Keeps the promise of `post` with `result`; hands a commit to the broker.
void finish(caf::stateful_actor<db_worker_state>* self, pending_post& post,
            outcome& result) {
  if (!result) {
    post.reply.deliver(result.error());
    return;
  }
  // Committed: hand it to live delivery. The broadcast is a send. (A post
  // that repeated a key has no recipients: its message went out before.)
  bool replayed = result->recipients.empty();
  if (self->state.broker && !replayed)
    self->send(self->state.broker, deliver_atom::value, *result);
  post.reply.deliver(posted_message{std::move(result->msg), replayed});
}

// Why a post was refused (not_found or unknown_caller). A read of its own,
// after the batch committed, so that a failure here cannot touch the others.
outcome refusal(db_worker_state& st, int64_t caller) {
  // Always an error: the read's reason (not_found_for names one), or the
  // read's own failure. caf::expected<caf::error> would be ambiguous.
  auto why = transact<bool, pqxx::nontransaction>(
    st, "msg_refused", [&](pqxx::nontransaction& tx) {
      return caf::expected<bool>{queries::not_found_for(tx, caller)};
    });
  return why.error();
}

// Saves `batch` with one autocommit statement (queries::create_messages).
caf::expected<saved_batch>
save(db_worker_state& st, const std::vector<queries::new_message>& batch) {
  if (st.counters) {
    metrics::add(st.counters->post_batches);
    metrics::add(st.counters->posts_batched,
                 static_cast<int64_t>(batch.size()));
  }
  return autocommit<saved_batch>(st, "msg_post", [&](pqxx::nontransaction& tx) {
    return caf::expected<saved_batch>{queries::create_messages(tx, batch)};
  });
}

// The message saved before with `post`'s key (an answer the client did not
// get: it is answered again, and delivered no more), a refusal if that key
// went with other content, or nullopt.
std::optional<outcome> earlier(db_worker_state& st, const pending_post& post) {
  if (post.input.key.empty())
    return std::nullopt;
  auto found = transact<std::optional<message>, pqxx::nontransaction>(
    st, "msg_by_key", [&](pqxx::nontransaction& tx) {
      return caf::expected<std::optional<message>>{
        queries::find_keyed_message(tx, post.input)};
    });
  if (!found)
    return outcome{found.error()};
  if (!*found)
    return std::nullopt;
  if ((*found)->content != post.input.content)
    return outcome{make_error(ec::key_reused)};
  return outcome{created_message{std::move(**found), {}}};
}

// What a post of a committed batch is answered: its message, the one its
// key saved before, or why it was refused.
outcome answer(db_worker_state& st, const pending_post& post,
               std::optional<created_message>& saved) {
  if (saved)
    return std::move(*saved);
  if (auto before = earlier(st, post))
    return std::move(*before);
  return refusal(st, post.input.caller);
}

// Posts that repeat the key of an earlier one in `posts` (a double click, a
// retry sent before the first answer came), taken out: in one statement
// both would fail it on messages_client_key. Answered after the others,
// with the message the first one saved.
std::vector<pending_post> take_repeated_keys(std::vector<pending_post>& posts) {
  std::set<std::tuple<int64_t, int64_t, std::string>> seen;
  std::vector<pending_post> firsts, repeats;
  for (auto& p : posts) {
    const auto& in = p.input;
    bool first = in.key.empty()
                 || seen.emplace(in.caller, in.conversation_id, in.key).second;
    (first ? firsts : repeats).push_back(std::move(p));
  }
  posts = std::move(firsts);
  return repeats;
}

// Saves `posts` with one statement and answers them; if it fails as a
// whole, tries each alone.
void save_and_answer(caf::stateful_actor<db_worker_state>* self,
                     std::vector<pending_post>& posts) {
  auto& st = self->state;
  std::vector<queries::new_message> batch;
  batch.reserve(posts.size());
  for (const auto& p : posts)
    batch.push_back(p.input);
  auto all = save(st, batch);
  if (all) {
    for (size_t i = 0; i < posts.size(); ++i) {
      auto result = answer(st, posts[i], (*all)[i]);
      finish(self, posts[i], result);
    }
    return;
  }
  // An unknown outcome (db_unavailable) must not be retried post by post.
  if (posts.size() == 1 || is(all.error(), ec::db_unavailable)) {
    for (auto& p : posts)
      p.reply.deliver(all.error());
    return;
  }
  // One bad post must not sink the others: each on its own.
  for (auto& p : posts) {
    auto one = save(st, {p.input});
    auto result = one ? answer(st, p, one->front()) : outcome{one.error()};
    finish(self, p, result);
  }
}

} // namespace

void flush_posts(caf::stateful_actor<db_worker_state>* self) {
  if (!self->state.post_flush.ready(self, flush_atom::value))
    return;
  auto posts = std::move(self->state.posts);
  self->state.posts.clear();
  auto repeats = take_repeated_keys(posts);
  if (!posts.empty())
    save_and_answer(self, posts);
  for (auto& p : repeats) {
    std::optional<created_message> not_saved;
    auto result = answer(self->state, p, not_saved);
    finish(self, p, result);
  }
}

} // namespace parley
