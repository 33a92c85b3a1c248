#pragma once

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace parley {

/// How long an HTTP request waits for the database actors before 503.
constexpr std::chrono::seconds db_request_timeout{10};

/// Sends `xs...` to `dest` from a one-shot actor and calls `on_ok(T&)` or
/// `on_error(caf::error&)` with the reply, on a CAF thread. This is how Asio
/// threads ask actors without ever blocking: the callbacks post back.
/// Thread-safe.
template <class T, class OnOk, class OnError, class... Ts>
void ask(caf::actor_system& sys, const caf::actor& dest, OnOk on_ok,
         OnError on_error, Ts... xs) {
  sys.spawn([=](caf::event_based_actor* self) mutable {
    self->request(dest, db_request_timeout, std::move(xs)...)
      .then([=](T& result) mutable { on_ok(result); },
            [=](caf::error& err) mutable { on_error(err); });
  });
}

} // namespace parley
