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
  return duration_cast<seconds>(system_clock::now().time_since_epoch())
    .count();
}

// Asks the database actors; answers with `ok(result)` or the mapped error.
template <class T, class Ok, class... Ts>
void ask_db(caf::actor_system& sys, const caf::actor& db, responder done,
            const char* not_found_text, Ok ok, Ts... xs) {
  ask<T>(
    sys, db, [done, ok](T& result) { done(ok(result)); },
    [done, not_found_text](caf::error& err) {
      done(error_response(err, not_found_text));
    },
    std::move(xs)...);
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

api::api(caf::actor_system& sys, caf::actor db, caf::actor broker,
         settings cfg, std::shared_ptr<server_state> state,
         std::shared_ptr<const static_files> files,
         std::shared_ptr<metrics> counters)
  : sys_(sys),
    db_(std::move(db)),
    broker_(std::move(broker)),
    cfg_(std::make_shared<const settings>(std::move(cfg))),
    state_(std::move(state)),
    files_(std::move(files)),
    counters_(std::move(counters)) {
}

void api::handle(const http_request& req, responder done) {
  auto target = to_sv(req.target());
  auto qpos = target.find('?');
  auto path = target.substr(0, qpos);
  api_request r{req, match_route(req.method(), path), {}, 0};
  if (qpos != std::string_view::npos)
    r.query = parse_query(target.substr(qpos + 1));
  using kind = route_match::kind;
  if (r.match.outcome == kind::not_found)
    return done(error_response(http::status::not_found, "Not found"));
  if (r.match.outcome == kind::method_not_allowed) {
    auto res = error_response(http::status::method_not_allowed,
                              "Method not allowed");
    res.set(http::field::allow, r.match.allow);
    return done(std::move(res));
  }
  switch (r.match.target) {
    case route::static_file:
      return done(files_->serve(std::string{path},
                                req.method() == http::verb::head));
    case route::healthz:
      return healthz(std::move(done));
    case route::metrics:
      return done(render_metrics());
    case route::login:
      return login(r, std::move(done));
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
      return done(error_response(http::status::not_implemented,
                                 "Not implemented yet"));
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

http_response token_response(const user& u, bool with_user,
                             const settings& cfg) {
  auto now = unix_now();
  jwt_claims claims{u.id, now, now + cfg.token_lifetime.count()};
  auto token = jwt_sign(claims, cfg.jwt_key);
  nlohmann::json body = {{"token", token},
                         {"expiresAt", rfc3339(claims.exp)}};
  if (with_user)
    body["authUser"] = to_json(u);
  auto res = json_response(http::status::ok, body);
  // For EventSource, which cannot send an Authorization header.
  auto secure = cfg.origin.rfind("https://", 0) == 0 ? "; Secure" : "";
  res.set(http::field::set_cookie,
          "parley_token=" + token + "; HttpOnly; SameSite=Strict; Path=/api"
            + "; Max-Age=" + std::to_string(cfg.token_lifetime.count())
            + secure);
  return res;
}

void api::login(api_request& r, responder done) {
  if (!cfg_->dev_login)
    return done(error_response(http::status::not_found, "Not found"));
  auto body = parse_json_body(r.req);
  if (auto* err = std::get_if<http_response>(&body))
    return done(std::move(*err));
  auto name = string_field(std::get<nlohmann::json>(body), "username",
                           "Username required");
  if (auto* err = std::get_if<http_response>(&name))
    return done(std::move(*err));
  auto& username = std::get<std::string>(name);
  if (!is_valid_username(username))
    return done(validation_error("username", "Invalid username"));
  ask_db<user>(sys_, db_, std::move(done), "User not found",
               [cfg = cfg_](user& u) { return token_response(u, true, *cfg); },
               login_atom::value, username);
}

void api::auth_user(api_request& r, responder done, bool refresh) {
  // A valid token whose user no longer exists is not a valid login.
  ask<user>(
    sys_, db_,
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
    sys_, db_,
    [done](std::vector<std::string>& names) {
      done(json_response(http::status::ok, names));
    },
    [done](caf::error& err) { done(error_response(err, "Not found")); },
    search_atom::value, r.user_id, search);
}

void api::create_conversation(api_request& r, responder done) {
  auto body = parse_json_body(r.req);
  if (auto* err = std::get_if<http_response>(&body))
    return done(std::move(*err));
  auto name = string_field(std::get<nlohmann::json>(body), "username",
                           "Username required");
  if (auto* err = std::get_if<http_response>(&name))
    return done(std::move(*err));
  auto& username = std::get<std::string>(name);
  if (username.empty())
    return done(validation_error("username", "Username required"));
  if (!is_valid_username(username))
    return done(validation_error("username", "Invalid username"));
  auto caller = r.user_id;
  ask<conversation_reply>(
    sys_, db_,
    [done, caller](conversation_reply& reply) {
      auto status = reply.created ? http::status::created : http::status::ok;
      done(created_at(json_response(status, to_json(reply.conv, caller)),
                      "/api/conversations/" + std::to_string(reply.conv.id)));
    },
    [done](caf::error& err) {
      if (is(err, ec::forbidden))
        return done(error_response(
          http::status::forbidden,
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
    sys_, db_, std::move(done), conversation_not_found,
    [caller](conversation_list& list) {
      auto json = nlohmann::json::array();
      for (const auto& c : list)
        json.push_back(to_json(c, caller));
      return json_response(http::status::ok, json);
    },
    conv_list_atom::value, caller, *before);
}

void api::get_conversation(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  auto caller = r.user_id;
  ask_db<conversation>(
    sys_, db_, std::move(done), conversation_not_found,
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
    sys_, db_, std::move(done), conversation_not_found,
    [](user& u) { return json_response(http::status::ok, to_json(u)); },
    other_atom::value, r.user_id, *id);
}

void api::create_message(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  auto body = parse_json_body(r.req);
  if (auto* err = std::get_if<http_response>(&body))
    return done(std::move(*err));
  auto field = string_field(std::get<nlohmann::json>(body), "content",
                            "Message content required");
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
  auto caller = r.user_id;
  ask_db<message>(
    sys_, db_, std::move(done), conversation_not_found,
    [caller](message& m) {
      return json_response(http::status::created, to_json(m, caller));
    },
    msg_post_atom::value, caller, *id, content);
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
    sys_, db_, std::move(done), conversation_not_found,
    [caller](message_list& list) {
      auto json = nlohmann::json::array();
      for (const auto& m : list)
        json.push_back(to_json(m, caller));
      return json_response(http::status::ok, json);
    },
    msg_list_atom::value, caller, *id, *before);
}

void api::read_messages(api_request& r, responder done) {
  auto id = path_id(r, done);
  if (!id)
    return;
  ask_db<bool>(
    sys_, db_, std::move(done), conversation_not_found,
    [](bool) {
      http_response res{http::status::no_content, 11};
      return res;
    },
    read_atom::value, r.user_id, *id);
}

void api::healthz(responder done) {
  if (state_->draining)
    return done(error_response(http::status::service_unavailable,
                               "Shutting down"));
  ask_db<bool>(
    sys_, db_, std::move(done), "Not found",
    [](bool) { return json_response(http::status::ok, {{"status", "ok"}}); },
    health_atom::value);
}

int64_t stream_cursor(const http_request& req,
                      const std::map<std::string, std::string>& query) {
  std::string text{to_sv(req["Last-Event-ID"])};
  for (const char* key : {"lastEventId", "last_event_id"})
    if (auto it = query.find(key); text.empty() && it != query.end())
      text = it->second;
  if (text.empty())
    return -1;
  if (text == "0")
    return 0;
  auto id = parse_id(text);
  return id ? *id : std::numeric_limits<int64_t>::max();
}

std::variant<http_response, stream_params>
api::check_stream(const http_request& req) {
  auto target = to_sv(req.target());
  auto qpos = target.find('?');
  api_request r{req, {}, {}, 0};
  if (qpos != std::string_view::npos)
    r.query = parse_query(target.substr(qpos + 1));
  if (!authenticate(r))
    return unauthorized();
  if (to_sv(req[http::field::accept]).find("text/event-stream")
      == std::string_view::npos)
    return error_response(http::status::not_acceptable,
                          "This endpoint serves text/event-stream only");
  auto own = r.query.find("include_own");
  return stream_params{r.user_id,
                       own != r.query.end() && own->second == "true",
                       stream_cursor(req, r.query)};
}

void api::check_user(int64_t id, std::function<void(bool)> done) {
  ask<user>(
    sys_, db_, [done](user&) { done(true); },
    [done](caf::error& err) { done(!is(err, ec::not_found)); },
    user_get_atom::value, id);
}

caf::actor api::spawn_stream_actor(const stream_params& params,
                                   std::weak_ptr<stream_sink> sink) {
  sse_connection_config c;
  c.user_id = params.user_id;
  c.include_own = params.include_own;
  c.resume_after = params.resume_after;
  c.heartbeat = cfg_->sse_heartbeat;
  c.broker = broker_;
  c.db = db_;
  c.format = format_event;
  c.sink = std::move(sink);
  c.counters = counters_;
  return sys_.spawn(sse_connection, std::move(c));
}

shared_bytes api::stream_prelude(const std::string& request_id) const {
  return std::make_shared<const std::string>(
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-cache, no-store\r\n"
    "X-Accel-Buffering: no\r\n"
    "Connection: keep-alive\r\n"
    "X-Request-Id: " + request_id + "\r\n\r\n"
    "retry: " + std::to_string(cfg_->sse_retry.count()) + "\n"
    ": parley event stream\n\n");
}

http_response api::render_metrics() const {
  const auto& m = *counters_;
  std::string text;
  auto metric = [&text](const char* name, const char* type, const char* help,
                        int64_t value) {
    text += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name
            + " " + type + "\n" + name + " " + std::to_string(value) + "\n";
  };
  metric("parley_sse_open_streams", "gauge", "Open event streams.",
         m.open_streams.load());
  metric("parley_sse_streams_total", "counter", "Event streams opened.",
         m.streams_total.load());
  metric("parley_sse_events_delivered_total", "counter",
         "Events written to streams.", m.events_delivered.load());
  metric("parley_sse_streams_cut_slow_total", "counter",
         "Streams closed because their queue overflowed.",
         m.streams_cut_slow.load());
  metric("parley_sse_replays_total", "counter",
         "Streams that resumed from a cursor.", m.replays.load());
  metric("parley_sse_resets_total", "counter",
         "Streams whose cursor was unknown (event: reset).",
         m.resets.load());
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(text);
  res.prepare_payload();
  return res;
}

} // namespace parley
