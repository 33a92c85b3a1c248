#include "net/ask.hpp"

#include <algorithm>

#include <caf/all.hpp>

namespace parley {

namespace {

// A twentieth of the timeout (10 s: every 500 ms), within 1 ms to 500 ms.
caf::timespan sweep_period(caf::timespan timeout) {
  return std::clamp<caf::timespan>(timeout / 20, std::chrono::milliseconds(1),
                                   std::chrono::milliseconds(500));
}

void arm_sweep(gateway_actor* self) {
  auto& st = self->state;
  if (st.sweep_armed || st.pending.empty())
    return; // an idle gateway wakes nobody
  st.sweep_armed = true;
  self->delayed_send(self, sweep_period(st.timeout), sweep_atom::value);
}

void sweep(gateway_actor* self) {
  auto& st = self->state;
  st.sweep_armed = false;
  auto now = self->clock().now();
  while (!st.pending.empty() && st.pending.begin()->second.deadline <= now) {
    auto fail = std::move(st.pending.begin()->second.on_error);
    st.pending.erase(st.pending.begin());
    fail(caf::sec::request_timeout);
  }
  arm_sweep(self);
}

} // namespace

namespace detail {

uint64_t track(gateway_actor* self, std::function<void(caf::error)> on_error) {
  auto& st = self->state;
  auto id = st.next_id++;
  st.pending.emplace_hint(
    st.pending.end(), id,
    gateway_state::waiting{self->clock().now() + st.timeout,
                           std::move(on_error)});
  arm_sweep(self);
  return id;
}

std::optional<int64_t> over_limit(gateway_actor* self, const requester& who) {
  auto& st = self->state;
  if (who.which == budget::none)
    return std::nullopt;
  auto& limits = who.which == budget::posts ? st.posts : st.requests;
  auto wait = limits.take(who.user, self->clock().now());
  if (!wait)
    return std::nullopt;
  return whole_seconds(*wait);
}

std::function<void(caf::error)> untrack(gateway_actor* self, uint64_t id) {
  auto& pending = self->state.pending;
  auto it = pending.find(id);
  if (it == pending.end())
    return {};
  auto fail = std::move(it->second.on_error);
  pending.erase(it);
  return fail;
}

} // namespace detail

caf::behavior gateway(gateway_actor* self, caf::timespan timeout,
                      rate_limit posts, rate_limit requests) {
  self->state.timeout = timeout;
  self->state.posts = rate_limiter{posts};
  self->state.requests = rate_limiter{requests};
  return {
    [self](ask_job& job) {
      if (!detail::guarded([&] { job(self); }))
        spdlog::error("gateway: a request could not be sent");
    },
    [self](sweep_atom) { sweep(self); },
  };
}

} // namespace parley
