#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <variant>

#include "actors/metrics.hpp"
#include "actors/model.hpp"
#include "actors/stream_sink.hpp"
#include "config/parley_config.hpp"
#include "net/github_oauth.hpp"
#include "net/http_util.hpp"
#include "net/router.hpp"
#include "net/server_state.hpp"
#include "net/static_files.hpp"

namespace parley {

/// Delivers a response to the session that asked. Thread-safe: it may be
/// called on a CAF thread; it posts onto the session's strand.
using responder = std::function<void(http_response)>;

/// A token reply: `{"token", "expiresAt"}` (and `authUser` when
/// `with_user`), plus the `parley_token` cookie.
http_response token_response(const user& u, bool with_user,
                             const settings& cfg);

/// What an accepted event-stream request asks for.
struct stream_params {
  int64_t user_id = 0;
  bool include_own = false;
  int64_t resume_after = -1;  ///< -1: no cursor; INT64_MAX: malformed one
  bool client_cursor = false; ///< the client sent a cursor
};

/// The cursor of a stream request: Last-Event-ID, else ?lastEventId= or
/// ?last_event_id=. -1 when absent; INT64_MAX (an unknown cursor, hence
/// `event: reset`) when malformed.
int64_t stream_cursor(const http_request& req,
                      const std::map<std::string, std::string>& query);

/// One parsed request as the handlers see it.
struct api_request {
  const http_request& req;
  route_match match;
  std::map<std::string, std::string> query;
  int64_t user_id = 0; ///< from the token, once authenticated
};

/// The REST API of SPEC §3–§4: validates input, asks the database actors,
/// maps replies to JSON. Never blocks: every database answer arrives through
/// the gateway actor (ask.hpp), which calls the responder.
class api {
public:
  /// `ioc` runs the outbound requests of a GitHub sign-in.
  api(caf::actor_system& sys, boost::asio::io_context& ioc, caf::actor db,
      caf::actor broker, settings cfg, std::shared_ptr<server_state> state,
      std::shared_ptr<const static_files> files,
      std::shared_ptr<metrics> counters);

  /// Stops the gateway actor (at shutdown, after the drain): replies
  /// still pending then are dropped.
  void stop();

  /// Answers `req` exactly once through `done`.
  void handle(const http_request& req, responder done);

  /// Checks a `GET /api/messages` before the stream starts: 401, 406.
  std::variant<http_response, stream_params>
  check_stream(const http_request& req);

  /// Spawns the actor that feeds `sink` (SPEC §5).
  caf::actor spawn_stream_actor(const stream_params& params,
                                std::weak_ptr<stream_sink> sink);

  /// Status line, headers, `retry:` and a comment: sent with the stream
  /// actor's first write (for a fresh stream `id: <newest seq>`, which sets
  /// lastEventId without an event), once its inbox read found the user.
  /// With CORS headers for `cors_origin` unless it is empty.
  shared_bytes stream_prelude(const std::string& request_id,
                              const std::string& cors_origin) const;

  const std::shared_ptr<metrics>& counters() const {
    return counters_;
  }

  const settings& config() const {
    return *cfg_;
  }

private:
  bool authenticate(api_request& r);
  http_response render_metrics() const;
  void login(api_request& r, responder done);
  void logout(responder done);
  http_response login_methods() const;
  void oauth_start(responder done);
  void oauth_callback(api_request& r, responder done);
  void auth_user(api_request& r, responder done, bool refresh);
  void usernames(api_request& r, responder done);
  void create_conversation(api_request& r, responder done);
  void list_conversations(api_request& r, responder done);
  void get_conversation(api_request& r, responder done);
  void other_participant(api_request& r, responder done);
  void create_message(api_request& r, responder done);
  void list_messages(api_request& r, responder done);
  void read_messages(api_request& r, responder done);
  void healthz(responder done);

  caf::actor_system& sys_;
  caf::actor gateway_; ///< sends our requests to the actors (ask.hpp)
  caf::actor db_;
  caf::actor broker_;
  std::shared_ptr<const settings> cfg_; // shared with pending replies
  std::shared_ptr<server_state> state_;
  std::shared_ptr<const static_files> files_;
  std::shared_ptr<metrics> counters_;
  github_oauth github_;
};

} // namespace parley
