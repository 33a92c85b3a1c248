#include "persistence/post_batch.hpp"

#include "actors/atoms.hpp"
#include "persistence/queries.hpp"
#include "persistence/transact.hpp"

namespace parley {

namespace {

using outcome = caf::expected<created_message>;

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
  auto save = [&st](const std::vector<queries::new_message>& batch) {
    return transact<outcomes>(st, "msg_post", [&](pqxx::work& tx) {
      return caf::expected<outcomes>{queries::create_messages(tx, batch)};
    });
  };
  std::vector<queries::new_message> batch;
  batch.reserve(posts.size());
  for (const auto& p : posts)
    batch.push_back(p.input);
  auto all = save(batch);
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
    auto one = save({p.input});
    if (one)
      finish(self, p, one->front());
    else
      p.reply.deliver(one.error());
  }
}

} // namespace parley
