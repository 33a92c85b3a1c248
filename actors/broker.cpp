#include "actors/broker.hpp"

#include <caf/all.hpp>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"

namespace parley {

void broker_state::add(int64_t user, const caf::actor& stream,
                       bool include_own) {
  auto& mine = subscribers[user];
  user_of.emplace(stream.address(),
                  place{user, mine.actors.size(), include_own});
  mine.actors.push_back(stream);
  if (include_own)
    ++mine.own_wanted;
}

void broker_state::remove(const caf::actor_addr& who) {
  auto found = user_of.find(who);
  if (found == user_of.end())
    return;
  auto [user, index, include_own] = found->second;
  user_of.erase(found);
  auto it = subscribers.find(user);
  if (it == subscribers.end())
    return;
  if (include_own)
    --it->second.own_wanted;
  auto& list = it->second.actors;
  if (index + 1 < list.size()) {
    list[index] = std::move(list.back());
    user_of[list[index].address()].index = index;
  }
  list.pop_back();
  if (list.empty())
    subscribers.erase(it);
}

namespace {

// The queue behind the message being handled: only the actor may read it.
void note_mailbox(caf::stateful_actor<broker_state>* self) {
  if (self->state.counters)
    metrics::set(self->state.counters->broker_mailbox,
                 static_cast<int64_t>(self->mailbox().size()));
}

} // namespace

caf::behavior broker(caf::stateful_actor<broker_state>* self,
                     event_formatter format, std::shared_ptr<metrics> counters,
                     stream_limits limits) {
  self->state.format = std::move(format);
  self->state.counters = std::move(counters);
  self->state.max_streams_per_user = limits.per_user;
  self->state.opens = rate_limiter{limits.opens};
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.remove(msg.source); });
  return {
    [self](subscribe_atom, int64_t user, const caf::actor& stream,
           bool include_own) -> caf::result<bool> {
      note_mailbox(self);
      auto& st = self->state;
      if (st.shutting_down) {
        self->send(stream, shutdown_atom::value); // before this answer
        return true;
      }
      // Every open draws on the allowance, one the cap refuses too.
      if (auto wait = st.opens.take(user, self->clock().now()))
        return make_rate_limited(whole_seconds(*wait));
      auto cap = st.max_streams_per_user;
      if (auto it = st.subscribers.find(user);
          cap > 0 && it != st.subscribers.end()
          && it->second.actors.size() >= cap)
        return make_error(ec::too_many_streams);
      self->monitor(stream);
      st.add(user, stream, include_own);
      return true;
    },
    [self](deliver_atom, const created_message& created) {
      note_mailbox(self);
      auto& st = self->state;
      for (const auto& r : created.recipients) {
        auto it = st.subscribers.find(r.user_id);
        if (it == st.subscribers.end())
          continue;
        // One serialisation per user, shared by all of the user's streams;
        // none for an own event that no stream of the sender shows.
        bool own = created.msg.user_id == r.user_id;
        sse_event ev{r.seq, own, nullptr};
        if (!own || it->second.own_wanted > 0)
          ev.bytes = std::make_shared<const std::string>(
            st.format(created.msg, r.user_id, r.seq));
        for (const auto& stream : it->second.actors)
          self->send(stream, event_atom::value, ev);
      }
    },
    [self](shutdown_atom) {
      self->state.shutting_down = true;
      for (const auto& [user, mine] : self->state.subscribers)
        for (const auto& stream : mine.actors)
          self->send(stream, shutdown_atom::value);
    },
  };
}

} // namespace parley
