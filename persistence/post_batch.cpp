#include "persistence/post_batch.hpp"

#include <string>

#include "actors/atoms.hpp"
#include "persistence/queries.hpp"
#include "persistence/transact.hpp"

namespace parley {

namespace {

using outcome = caf::expected<created_message>;

// The batch's conversation ids as a PostgreSQL array literal.
std::string id_array(const std::vector<pending_post>& posts) {
  std::string out = "{";
  for (const auto& p : posts) {
    if (out.size() > 1)
      out += ',';
    out += std::to_string(p.conversation_id);
  }
  return out + "}";
}

// Keeps the promise of `post` with `result`; hands a commit to the broker.
void finish(caf::stateful_actor<db_worker_state>* self, pending_post& post,
            outcome& result) {
  if (!result) {
    post.reply.deliver(result.error());
    return;
  }
  // Committed: hand it to live delivery. The broadcast is a send.
  if (self->state.broker)
    self->send(self->state.broker, deliver_atom::value, *result);
  post.reply.deliver(result->msg);
}

} // namespace

void flush_posts(caf::stateful_actor<db_worker_state>* self) {
  auto& st = self->state;
  // Posts that arrived during the last commit queue up behind this flush:
  // let them join once before committing.
  if (!st.flush_deferred && !self->mailbox().empty()) {
    st.flush_deferred = true;
    self->send(self, flush_atom::value);
    return;
  }
  st.flush_deferred = false;
  st.flush_pending = false;
  auto posts = std::move(st.posts);
  st.posts.clear();
  if (posts.empty())
    return;
  using outcomes = std::vector<outcome>;
  auto all = transact<outcomes>(st, "msg_post", [&](pqxx::work& tx) {
    if (posts.size() > 1)
      tx.exec_prepared("msg_lock_batch", id_array(posts));
    outcomes out;
    for (const auto& p : posts)
      out.push_back(
        queries::create_message(tx, p.caller, p.conversation_id, p.content));
    return caf::expected<outcomes>{std::move(out)};
  });
  if (all) {
    for (size_t i = 0; i < posts.size(); ++i)
      finish(self, posts[i], (*all)[i]);
    return;
  }
  if (posts.size() == 1 || is(all.error(), ec::db_unavailable)) {
    for (auto& p : posts)
      p.reply.deliver(all.error());
    return;
  }
  // One bad post must not sink the others: each on its own.
  for (auto& p : posts) {
    auto one = transact<created_message>(st, "msg_post", [&](pqxx::work& tx) {
      return queries::create_message(tx, p.caller, p.conversation_id,
                                     p.content);
    });
    finish(self, p, one);
  }
}

} // namespace parley
