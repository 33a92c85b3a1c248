#include "actors/broker.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/atoms.hpp"

namespace parley {

void broker_state::remove(const caf::actor_addr& who) {
  auto user = user_of.find(who);
  if (user == user_of.end())
    return;
  auto it = subscribers.find(user->second);
  user_of.erase(user);
  if (it == subscribers.end())
    return;
  auto& list = it->second;
  list.erase(
    std::remove_if(list.begin(), list.end(),
                   [&](const caf::actor& a) { return a.address() == who; }),
    list.end());
  if (list.empty())
    subscribers.erase(it);
}

caf::behavior broker(caf::stateful_actor<broker_state>* self,
                     event_formatter format) {
  self->state.format = std::move(format);
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.remove(msg.source); });
  return {
    [self](subscribe_atom, int64_t user, const caf::actor& stream) {
      if (self->state.shutting_down) {
        self->send(stream, shutdown_atom::value);
        return;
      }
      self->monitor(stream);
      self->state.subscribers[user].push_back(stream);
      self->state.user_of.emplace(stream.address(), user);
    },
    [self](deliver_atom, const created_message& created) {
      auto& st = self->state;
      for (const auto& r : created.recipients) {
        auto it = st.subscribers.find(r.user_id);
        if (it == st.subscribers.end())
          continue;
        // One serialisation per user, shared by all of the user's streams.
        sse_event ev{r.seq, created.msg.user_id == r.user_id,
                     std::make_shared<const std::string>(
                       st.format(created.msg, r.user_id, r.seq))};
        for (const auto& stream : it->second)
          self->send(stream, event_atom::value, ev);
      }
    },
    [self](shutdown_atom) {
      self->state.shutting_down = true;
      for (const auto& [user, list] : self->state.subscribers)
        for (const auto& stream : list)
          self->send(stream, shutdown_atom::value);
    },
  };
}

} // namespace parley
