#include "persistence/replay_batch.hpp"

#include <algorithm>

#include "persistence/transact.hpp"

namespace parley {

namespace {

using pages = std::vector<caf::expected<inbox_page>>;

// Answers `count` queued reads from `first` with one statement.
void read_chunk(db_worker_state& st, std::vector<pending_replay>& queued,
                size_t first, size_t count) {
  std::vector<queries::inbox_request> requests;
  requests.reserve(count);
  for (size_t i = first; i < first + count; ++i)
    requests.push_back(queued[i].input);
  if (st.counters) {
    metrics::add(st.counters->replay_batches);
    metrics::add(st.counters->replays_batched, static_cast<int64_t>(count));
  }
  // One statement: no transaction needed.
  auto read = transact<pages, pqxx::nontransaction>(
    st, count == 1 ? "replay" : "replay_batch",
    [&](pqxx::transaction_base& tx) {
      return caf::expected<pages>{queries::read_inboxes(tx, requests)};
    });
  for (size_t i = 0; i < count; ++i) {
    auto& reply = queued[first + i].reply;
    if (!read)
      reply.deliver(read.error());
    else if (auto& page = (*read)[i])
      reply.deliver(std::move(*page));
    else
      reply.deliver(page.error());
  }
}

} // namespace

void flush_replays(caf::stateful_actor<db_worker_state>* self) {
  auto& st = self->state;
  if (!st.replay_flush.ready(self, replays_atom::value))
    return;
  auto queued = std::move(st.replays);
  st.replays.clear();
  for (size_t first = 0; first < queued.size(); first += max_replay_batch)
    read_chunk(st, queued, first,
               std::min(max_replay_batch, queued.size() - first));
}

} // namespace parley
