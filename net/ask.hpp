#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace parley {

/// How long an HTTP request waits for the database actors before 503.
constexpr std::chrono::seconds db_request_timeout{10};

/// A request to start from inside the gateway actor.
using ask_job = std::function<void(caf::event_based_actor*)>;

/// The actor that sends the requests of every HTTP session and hands each
/// reply to its callback: many requests in flight, none waiting for
/// another (replies are matched by request id). One long-lived actor, where
/// a one-shot actor per request cost a spawn and a clean-up each time.
caf::behavior gateway(caf::event_based_actor* self);

namespace detail {

/// Runs `f`; an exception is logged and reported as false, so that it never
/// leaves the gateway (a dead gateway would leave every request unanswered).
template <class F>
bool guarded(F&& f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("request callback failed: {}", e.what());
    return false;
  }
}

/// Hands `err` to `on_error`, which must not throw either.
template <class OnError>
void report(OnError& on_error, caf::error err) {
  if (!guarded([&] { on_error(err); }))
    spdlog::error("request error handler failed");
}

} // namespace detail

/// Sends `xs...` to `dest` through `gateway` and calls `on_ok(T&)` or
/// `on_error(caf::error&)` with the reply, on a CAF thread. This is how Asio
/// threads ask actors without ever blocking: the callbacks post back.
/// Thread-safe.
template <class T, class OnOk, class OnError, class... Ts>
void ask(const caf::actor& gateway, const caf::actor& dest, OnOk on_ok,
         OnError on_error, Ts... xs) {
  caf::anon_send(gateway, ask_job{[=](caf::event_based_actor* self) mutable {
                   self->request(dest, db_request_timeout, std::move(xs)...)
                     .then(
                       [=](T& result) mutable {
                         // A success callback that threw answers 500.
                         if (!detail::guarded([&] { on_ok(result); }))
                           detail::report(on_error, caf::sec::runtime_error);
                       },
                       [=](caf::error& err) mutable {
                         detail::report(on_error, std::move(err));
                       });
                 }});
}

} // namespace parley

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::ask_job)
