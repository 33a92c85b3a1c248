#include "net/api.hpp"

#include <chrono>
#include <limits>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "actors/sse_connection.hpp"
#include "net/ask.hpp"
#include "net/json_mapping.hpp"
#include "net/jwt.hpp"
#include "net/request_parsing.hpp"
#include "net/text.hpp"

namespace parley {

namespace {

constexpr const char* conversation_not_found = "Conversation not found";

int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// Asks the database actors for `who`; answers with `ok(result)` or the
// mapped error (429 past `who`'s allowance).
template <class T, class Ok, class... Ts>
void ask_db(const caf::actor& gateway, requester who, const caf::actor& db,
            responder done, const char* not_found_text, Ok ok, Ts... xs) {
  ask<T>(
    gateway, who, db, [done, ok](T& result) { done(ok(result)); },
    [done, not_found_text](caf::error& err) {
      done(error_response(err, not_found_text));
    },
    std::move(xs)...);
}

// A logged-in user's request, drawing on their allowance `which`.
requester as(const api_request& r, budget which = budget::requests) {
  return requester{which, r.user_id};
}

// The {id} of the path as a number; a malformed id is simply not found.
std::optional<int64_t> path_id(const api_request& r, responder& done) {
  auto id = parse_id(r.match.id);
  if (!id)
    done(error_response(http::status::not_found, conversation_not_found));
  return id;
}

http_response created_at(http_response res, const std::string& location) {
  res.set(http::field::location, location);
  return res;
}

} // namespace

api::api(caf::actor_system& sys, boost::asio::io_context& ioc, caf::actor db,
         caf::actor broker, settings cfg, std::shared_ptr<server_state> state,
         std::shared_ptr<const static_files> files,
         std::shared_ptr<metrics> counters)
    : sys_(sys),
      gateway_(sys.spawn(gateway, caf::timespan{db_request_timeout},
                         rate_limit{cfg.post_rate, cfg.post_burst},
                         rate_limit{cfg.request_rate, cfg.request_burst})),
      db_(std::move(db)),
      broker_(std::move(broker)),
      cfg_(std::make_shared<const settings>(std::move(cfg))),
      state_(std::move(state)),
      files_(std::move(files)),
      counters_(std::move(counters)),
      github_(ioc, cfg_) {}

void api::stop() {
  caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
}

void api::handle(const http_request& req, responder done) {
  auto target = to_sv(req.target());
  auto path = target_path(target);
  api_request r{req, match_route(req.method(), path), target_query(target), 0};
  using kind = route_match::kind;
  if (r.match.outcome == kind::not_found)
    return done(error_response(http::status::not_found, "Not found"));
  if (r.match.outcome == kind::method_not_allowed) {
    auto res
      = error_response(http::status::method_not_allowed, "Method not allowed");
    res.set(http::field::allow, r.match.allow);
    return done(std::move(res));
  }
  switch (r.match.target) {
  case route::static_file:
    return done(
      files_->serve(std::string{path}, req.method() == http::verb::head));
  case route::healthz:
    return healthz(std::move(done));
  case route::metrics:
    return done(render_metrics());
  case route::login:
    return login(r, std::move(done));
  case route::logout:
    return logout(std::move(done));
  case route::login_methods:
    return done(login_methods());
  case route::oauth_github:
    return oauth_start(std::move(done));
  case route::oauth_github_callback:
    return oauth_callback(r, std::move(done));
  default:
    break;
  }
  if (!authenticate(r))
    return done(unauthorized());
  switch (r.match.target) {
  case route::auth_user:
    return auth_user(r, std::move(done), false);
  case route::refresh_token:
    return auth_user(r, std::move(done), true);
  case route::usernames:
    return usernames(r, std::move(done));
  case route::conversations:
    if (req.method() == http::verb::post)
      return create_conversation(r, std::move(done));
    return list_conversations(r, std::move(done));
  case route::conversation:
    return get_conversation(r, std::move(done));
  case route::other_participant:
    return other_participant(r, std::move(done));
  case route::messages:
    if (req.method() == http::verb::post)
      return create_message(r, std::move(done));
    return list_messages(r, std::move(done));
  case route::read_messages:
    return read_messages(r, std::move(done));
  default:
    return done(
      error_response(http::status::not_implemented, "Not implemented yet"));
  }
}

bool api::authenticate(api_request& r) {
  auto token = find_token(r.req, r.query);
  if (!token)
    return false;
  auto claims = jwt_verify(*token, cfg_->jwt_key, unix_now());
  if (!claims)
    return false;
  r.user_id = claims->sub;
  return true;
}

namespace {

// The stream's cookie (SPEC §3): `token` for `max_age` seconds; an empty
// token with max_age 0 clears it.
std::string token_cookie(const std::string& token, int64_t max_age,
                         const settings& cfg) {
  return set_cookie_value("parley_token", token, "Strict", "/api", max_age,
                          cfg.origin);
}

struct issued_token {
  std::string token;
  std::string expires_at; ///< RFC 3339
  std::string cookie;     ///< Set-Cookie: for EventSource, which cannot
                          ///< send an Authorization header
};

issued_token issue_token(const user& u, const settings& cfg) {
  auto now = unix_now();
  jwt_claims claims{u.id, now, now + cfg.token_lifetime.count()};
  auto token = jwt_sign(claims, cfg.jwt_key);
  auto cookie = token_cookie(token, cfg.token_lifetime.count(), cfg);
  return {std::move(token), rfc3339(claims.exp), std::move(cookie)};
}

// The end of a GitHub sign-in (SPEC §3): 307 to the web client's
// /callback with the token, which the client keeps as after a login.
http_response signed_in_redirect(const user& u, const settings& cfg) {
  auto issued = issue_token(u, cfg);
  auto res = temporary_redirect(oauth_app_location(
    cfg, "token=" + percent_encode(issued.token)
           + "&expires_at=" + percent_encode(issued.expires_at)));
  res.set(http::field::set_cookie, issued.cookie);
  return res;
}

} // namespace

http_response token_response(const user& u, bool with_user,
                             const settings& cfg) {
  auto issued = issue_token(u, cfg);
  nlohmann::json body
    = {{"token", issued.token}, {"expiresAt", issued.expires_at}};
  if (with_user)
    body["authUser"] = to_json(u);
  auto res = json_response(http::status::ok, body);
  res.set(http::field::set_cookie, issued.cookie);
  return res;
}

void api::logout(responder done) {
  // No token needed: it only clears the caller's own cookie, so that the
  // browser's streams stop authenticating (a token cannot be revoked).
  http_response res{http::status::no_content, 11};
  res.set(http::field::set_cookie, token_cookie("", 0, *cfg_));
  res.prepare_payload();
  done(std::move(res));
}

http_response api::login_methods() const {
  return json_response(http::status::ok, {{"devLogin", cfg_->dev_login},
                                          {"github", github_.enabled()}});
}

void api::oauth_start(responder done) {
  if (!github_.enabled())
    return done(error_response(http::status::not_found,
                               "GitHub login is not configured"));
  done(github_.start(unix_now()));
}

void api::oauth_callback(api_request& r, responder done) {
  if (!github_.enabled())
    return done(error_response(http::status::not_found,
                               "GitHub login is not configured"));
  // Runs on an Asio thread once GitHub has answered: captures no `this`.
  github_.finish(
    r.req, r.query, unix_now(),
    [gateway = gateway_, db = db_, cfg = cfg_, done](oauth_outcome outcome) {
      // One state per sign-in: whatever the outcome, it is used up.
      auto used = oauth_state_cookie_value("", 0, *cfg);
      if (auto* res = std::get_if<http_response>(&outcome)) {
        res->insert(http::field::set_cookie, used);
        return done(std::move(*res));
      }
      auto& account = std::get<github_user>(outcome);
      ask_db<user>(
        gateway, requester{}, db, done, "User not found",
        [cfg, used](user& u) {
          auto res = signed_in_redirect(u, *cfg);
          res.insert(http::field::set_cookie, used);
          return res;
        },
        github_login_atom::value, account.id, account.login,
        account.avatar_url);
    });
}

void api::login(api_request& r, responder done) {
  if (!cfg_->dev_login)
    return done(error_response(http::status::not_found, "Not found"));
  auto name = body_string_field(r.req, "username", "Username required");
  if (auto* err = std::get_if<http_response>(&name))
    return done(std::move(*err));
  auto& username = std::get<std::string>(name);
  if (!is_valid_username(username))
    return done(validation_error("username", "Invalid username"));
  ask<user>(
    gateway_, requester{}, db_,
    [cfg = cfg_, done](user& u) { done(token_response(u, true, *cfg)); },
    [done](caf::error& err) {
      if (is(err, ec::forbidden))
        return done(error_response(http::status::forbidden,
                                   "This user signs in with GitHub"));
      done(error_response(err, "User not found"));
    },
    login_atom::value, username);
}

void api::auth_user(api_request& r, responder done, bool refresh) {
  // A valid token whose user no longer exists is not a valid login.
  ask<user>(
    gateway_, as(r), db_,
    [cfg = cfg_, done, refresh](user& u) {
      done(refresh ? token_response(u, false, *cfg)
                   : json_response(http::status::ok, to_json(u)));
    },
    [done](caf::error& err) {
      if (is(err, ec::not_found))
        return done(unauthorized());
      done(error_response(err, "User not found"));
    },
    user_get_atom::value, r.user_id);
}

void api::usernames(api_request& r, responder done) {
  auto it = r.query.find("search");
  if (it == r.query.end() || it->second.empty())
    return done(validation_error("search", "Search required"));
  // Only username characters can match; anything else matches nobody.
  const auto& search = it->second;
  if (search.size() > 39 || !is_valid_username(std::string{"a"} + search))
    return done(json_response(http::status::ok, nlohmann::json::array()));
  ask<std::vector<std::string>>(
    gateway_, as(r), db_,
    [done](std::vector<std::string>& names) {
      done(json_response(http::status::ok, names));
    },
    [done](caf::error& err) { done(error_response(err, "Not found")); },
    search_atom::value, r.user_id, search);
}

void api::create_conversation(api_request& r, responder done) {
  auto name = body_string_field(r.req, "username", "Username required");
  if (auto* err = std::get_if<http_response>(&name))
    return done(std::move(*err));
  auto& username = std::get<std::string>(name);
  if (username.empty())
    return done(validation_error("username", "Username required"));
  if (!is_valid_username(username))
    return done(validation_error("username", "Invalid username"));
  auto caller = r.user_id;
  ask<conversation_reply>(
    gateway_, as(r), db_,
    [done, caller](conversation_reply& reply) {
      auto status = reply.created ? http::status::created : http::status::ok;
      done(created_at(json_response(status, to_json(reply.conv, caller)),
                      "/api/conversations/" + std::to_string(reply.conv.id)));
    },
    [done](caf::error& err) {
      if (is(err, ec::forbidden))
        return done(
          error_response(http::status::forbidden,
                         "You cannot start a conversation with yourself"));
      done(error_response(err, "User not found"));
    },
    conv_new_atom::value, caller, username);
}

void api::list_conversations(api_request& r, responder done) {
  auto before = before_cursor(r.query);
  if (!before)
    return done(validation_error("before", "Invalid cursor"));
  auto caller = r.user_id;
  ask_db<conversation_list>(
    gateway_, as(r), db_, std::move(done), conversation_not_found,
    [caller](conversation_list& list) {
      return json_response(http::status::ok, to_json(list, caller));
    },
    conv_list_atom::value, caller, *before);
}

void api::get_conversation(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  auto caller = r.user_id;
  ask_db<conversation>(
    gateway_, as(r), db_, std::move(done), conversation_not_found,
    [caller](conversation& c) {
      return json_response(http::status::ok, to_json(c, caller));
    },
    conv_get_atom::value, caller, *id);
}

void api::other_participant(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  ask_db<user>(
    gateway_, as(r), db_, std::move(done), conversation_not_found,
    [](user& u) { return json_response(http::status::ok, to_json(u)); },
    other_atom::value, r.user_id, *id);
}

void api::create_message(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  auto field = body_string_field(r.req, "content", "Message content required");
  if (auto* err = std::get_if<http_response>(&field))
    return done(std::move(*err));
  auto& raw = std::get<std::string>(field);
  if (has_forbidden_control(raw))
    return done(validation_error("content", "Message content has control "
                                            "characters"));
  auto content = normalize_content(raw);
  if (content.empty())
    return done(validation_error("content", "Message content required"));
  if (count_code_points(content) > max_content_code_points)
    return done(validation_error("content", "Message content too long "
                                            "(max 480 characters)"));
  // A retry of a post whose answer was lost sends the same key: it gets the
  // message saved the first time instead of a second copy.
  auto key = idempotency_key(r.req);
  if (auto* err = std::get_if<http_response>(&key))
    return done(std::move(*err));
  auto caller = r.user_id;
  // Past the caller's post allowance: 429, and nothing is written.
  ask_db<posted_message>(
    gateway_, as(r, budget::posts), db_, std::move(done),
    conversation_not_found,
    [caller](posted_message& posted) {
      auto res
        = json_response(http::status::created, to_json(posted.msg, caller));
      // The same 201 as the first time; the header tells a client that asks.
      if (posted.replayed)
        res.set("Idempotent-Replayed", "true");
      return res;
    },
    msg_post_atom::value, caller, *id, content,
    std::move(std::get<std::string>(key)));
}

void api::list_messages(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  auto before = before_cursor(r.query);
  if (!before)
    return done(validation_error("before", "Invalid cursor"));
  auto caller = r.user_id;
  ask_db<message_list>(
    gateway_, as(r), db_, std::move(done), conversation_not_found,
    [caller](message_list& list) {
      return json_response(http::status::ok, to_json(list, caller));
    },
    msg_list_atom::value, caller, *id, *before);
}

void api::read_messages(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  ask_db<bool>(
    gateway_, as(r), db_, std::move(done), conversation_not_found,
    [](bool) {
      http_response res{http::status::no_content, 11};
      return res;
    },
    read_atom::value, r.user_id, *id);
}

void api::healthz(responder done) {
  if (state_->draining)
    return done(
      error_response(http::status::service_unavailable, "Shutting down"));
  ask_db<bool>(
    gateway_, requester{}, db_, std::move(done), "Not found",
    [](bool) {
      return json_response(http::status::ok, {{"status", "ok"}});
    },
    health_atom::value);
}

} // namespace parley
