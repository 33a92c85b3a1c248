#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/model.hpp"
#include "config/parley_config.hpp"
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

/// One parsed request as the handlers see it.
struct api_request {
  const http_request& req;
  route_match match;
  std::map<std::string, std::string> query;
  int64_t user_id = 0; ///< from the token, once authenticated
};

/// The REST API of SPEC §3–§4: validates input, asks the database actors,
/// maps replies to JSON. Never blocks: every database answer arrives through
/// a one-shot actor that calls the responder.
class api {
public:
  api(caf::actor_system& sys, caf::actor db, settings cfg,
      std::shared_ptr<server_state> state,
      std::shared_ptr<const static_files> files);

  /// Answers `req` exactly once through `done`.
  void handle(const http_request& req, responder done);

private:
  bool authenticate(api_request& r);
  void login(api_request& r, responder done);
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
  caf::actor db_;
  std::shared_ptr<const settings> cfg_; // shared with pending replies
  std::shared_ptr<server_state> state_;
  std::shared_ptr<const static_files> files_;
};

} // namespace parley
