#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "actors/rate_limiter.hpp"

namespace parley {

/// How long an HTTP request waits for the database actors before 503.
constexpr std::chrono::seconds db_request_timeout{10};

/// The gateway's note to itself: answer the requests past their deadline.
using sweep_atom = caf::atom_constant<caf::atom("gw_sweep")>;

/// Which per-user allowance a request draws on.
enum class budget {
  none,     ///< none: a request without a user (login, health)
  posts,    ///< message posts
  requests, ///< every other database request of a logged-in user
};

/// Whom a request is for. Every ask() names it, so no request of a user
/// can leave out their allowance by accident.
struct requester {
  budget which = budget::none;
  int64_t user = 0;
};

/// The gateway's requests still unanswered. The gateway keeps their
/// deadlines itself instead of giving CAF a timeout per request: CAF's
/// clock thread was woken twice for each request (arm and cancel), ~9 % of
/// the server's CPU at 1,000 posts/s. One sweep per period answers every
/// request past its deadline with sec::request_timeout.
/// It also holds the per-user allowances (requester): every request already
/// passes through this one actor, so the buckets need no lock and no hop.
struct gateway_state {
  static inline const char* name = "gateway";

  struct waiting {
    caf::actor_clock::time_point deadline;
    std::function<void(caf::error)> on_error;
  };

  caf::timespan timeout{db_request_timeout};
  uint64_t next_id = 0;
  std::map<uint64_t, waiting>
    pending; ///< by id: ids and deadlines rise together
  bool sweep_armed = false;
  rate_limiter posts;    ///< message posts per user
  rate_limiter requests; ///< other requests per user
};

using gateway_actor = caf::stateful_actor<gateway_state>;

/// A request to start from inside the gateway actor.
using ask_job = std::function<void(gateway_actor*)>;

/// The actor that sends the requests of every HTTP session and hands each
/// reply to its callback: many requests in flight, none waiting for
/// another (replies are matched by request id). One long-lived actor, where
/// a one-shot actor per request cost a spawn and a clean-up each time.
/// A request unanswered after `timeout` fails with sec::request_timeout
/// (up to a twentieth of `timeout` late); a reply after that is dropped.
/// `posts` and `requests` are each user's allowances (requester).
caf::behavior gateway(gateway_actor* self, caf::timespan timeout,
                      rate_limit posts, rate_limit requests);

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

/// Notes a request with its deadline; returns its id.
uint64_t track(gateway_actor* self, std::function<void(caf::error)> on_error);

/// Removes request `id`: its error callback, or an empty one if the request
/// was already answered by the sweep.
std::function<void(caf::error)> untrack(gateway_actor* self, uint64_t id);

/// Takes a token of `who`'s allowance; the whole seconds to wait if there
/// is none (the request must not be sent), else nullopt.
std::optional<int64_t> over_limit(gateway_actor* self, const requester& who);

} // namespace detail

/// Sends `xs...` to `dest` through `gateway` for `who` and calls
/// `on_ok(T&)` or `on_error(caf::error&)` with the reply, on a CAF thread,
/// exactly once. A request past `who`'s allowance is not sent: `on_error`
/// gets ec::rate_limited with the seconds to wait. This is how Asio threads
/// ask actors without ever blocking: the callbacks post back. Thread-safe.
template <class T, class OnOk, class OnError, class... Ts>
void ask(const caf::actor& gateway, requester who, const caf::actor& dest,
         OnOk on_ok, OnError on_error, Ts... xs) {
  // The job runs once, so it may move what it captured.
  caf::anon_send(gateway, ask_job{[=](gateway_actor* self) mutable {
                   if (auto wait = detail::over_limit(self, who)) {
                     detail::report(on_error, make_rate_limited(*wait));
                     return;
                   }
                   // The error callback moves into the gateway's table, its
                   // only owner from here on.
                   auto id = detail::track(
                     self,
                     [on_error = std::move(on_error)](caf::error err) mutable {
                       detail::report(on_error, std::move(err));
                     });
                   // No CAF timeout: the gateway's sweep keeps the deadline.
                   self->request(dest, caf::infinite, std::move(xs)...)
                     .then(
                       [=](T& result) mutable {
                         auto fail = detail::untrack(self, id);
                         if (!fail)
                           return; // answered 503 already
                         // A success callback that threw answers 500.
                         if (!detail::guarded([&] { on_ok(result); }))
                           fail(caf::sec::runtime_error);
                       },
                       [=](caf::error& err) {
                         if (auto fail = detail::untrack(self, id))
                           fail(std::move(err));
                       });
                 }});
}

} // namespace parley

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::ask_job)
