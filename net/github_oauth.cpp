#include "net/github_oauth.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "config/url.hpp"
#include "net/http_fetch.hpp"
#include "net/jwt.hpp"
#include "net/text.hpp"

namespace parley {

namespace {

using outcome_handler = std::function<void(oauth_outcome)>;

// The origin without a trailing slash, so paths can be appended.
std::string origin_of(const settings& cfg) {
  auto origin = cfg.origin;
  while (!origin.empty() && origin.back() == '/')
    origin.pop_back();
  return origin;
}

std::string state_mac(const std::string& key, std::string_view signed_part) {
  // A prefix of its own, so no other HMAC under the JWT key can pass as one.
  return base64url_encode(
    hmac_sha256(key, "parley-oauth-state." + std::string{signed_part}));
}

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// GitHub's `error` parameter, passed on to the web client only when it is
// a plain code ("access_denied"), never as arbitrary text.
std::string safe_error_code(std::string_view code) {
  if (code.empty() || code.size() > 40)
    return "oauth_failed";
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || c == '_'))
      return "oauth_failed";
  return std::string{code};
}

http_response bad_gateway(const char* step, const std::string& detail) {
  spdlog::warn("github sign-in: {}: {}", step, detail);
  return error_response(http::status::bad_gateway,
                        "GitHub sign-in failed; try again later");
}

void read_user(boost::asio::io_context& ioc,
               std::shared_ptr<boost::asio::ssl::context> tls,
               std::shared_ptr<const settings> cfg, const std::string& token,
               outcome_handler done) {
  fetch_request req;
  req.url = cfg->github_user_url;
  req.accept = "application/vnd.github+json";
  req.authorization = "Bearer " + token;
  // `tls` rides along so the context outlives the request that uses it.
  http_fetch(ioc, *tls, std::move(req),
             [tls, done = std::move(done)](fetch_result res) {
               if (!res.error.empty())
                 return done(bad_gateway("user", res.error));
               if (res.status != 200)
                 return done(
                   bad_gateway("user", "status " + std::to_string(res.status)));
               auto account = parse_github_user(res.body);
               if (!account)
                 return done(bad_gateway("user", "unexpected reply"));
               done(std::move(*account));
             });
}

} // namespace

std::optional<std::string> make_oauth_state(const std::string& key,
                                            int64_t now) {
  auto nonce = random_hex(16);
  if (!nonce)
    return std::nullopt;
  auto signed_part = *nonce + "." + std::to_string(now + oauth_state_lifetime);
  return signed_part + "." + state_mac(key, signed_part);
}

bool oauth_state_valid(std::string_view state, const std::string& key,
                       int64_t now) {
  auto last_dot = state.rfind('.');
  if (last_dot == std::string_view::npos)
    return false;
  auto signed_part = state.substr(0, last_dot);
  if (!same_text(state.substr(last_dot + 1), state_mac(key, signed_part)))
    return false;
  auto dot = signed_part.find('.');
  if (dot == std::string_view::npos)
    return false;
  auto expiry = parse_id(signed_part.substr(dot + 1));
  return expiry && *expiry >= now;
}

std::string oauth_state_cookie_value(const std::string& state, int64_t max_age,
                                     const settings& cfg) {
  return set_cookie_value(oauth_state_cookie, state, "Lax", "/api/oauth/github",
                          max_age, cfg.origin);
}

std::string oauth_callback_url(const settings& cfg) {
  return origin_of(cfg) + "/api/oauth/github/callback";
}

std::string oauth_authorize_location(const settings& cfg,
                                     std::string_view state) {
  const auto& base = cfg.github_authorize_url;
  auto separator = base.find('?') == std::string::npos ? "?" : "&";
  return base + separator + "client_id=" + percent_encode(cfg.github_client_id)
         + "&redirect_uri=" + percent_encode(oauth_callback_url(cfg))
         + "&state=" + percent_encode(state);
}

std::string oauth_token_request_body(const settings& cfg,
                                     std::string_view code) {
  return "client_id=" + percent_encode(cfg.github_client_id)
         + "&client_secret=" + percent_encode(cfg.github_client_secret)
         + "&code=" + percent_encode(code)
         + "&redirect_uri=" + percent_encode(oauth_callback_url(cfg));
}

std::string oauth_app_location(const settings& cfg, std::string_view query) {
  return origin_of(cfg) + "/callback?" + std::string{query};
}

std::optional<std::string> parse_access_token(std::string_view body) {
  auto reply = nlohmann::json::parse(body, nullptr, false);
  if (!reply.is_object())
    return std::nullopt;
  auto it = reply.find("access_token");
  if (it == reply.end() || !it->is_string() || it->get<std::string>().empty())
    return std::nullopt;
  auto token = it->get<std::string>();
  // It goes into a header: no byte that could end or split one.
  for (char c : token)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return std::nullopt;
  return token;
}

bool is_token_refusal(std::string_view body) {
  auto reply = nlohmann::json::parse(body, nullptr, false);
  return reply.is_object() && reply.contains("error")
         && reply["error"].is_string();
}

std::optional<github_user> parse_github_user(std::string_view body) {
  auto reply = nlohmann::json::parse(body, nullptr, false);
  if (!reply.is_object())
    return std::nullopt;
  auto id = reply.find("id");
  if (id == reply.end() || !id->is_number_integer() || id->get<int64_t>() <= 0)
    return std::nullopt;
  github_user account;
  account.id = id->get<int64_t>();
  auto login = reply.find("login");
  if (login != reply.end() && login->is_string()
      && is_valid_username(login->get<std::string>()))
    account.login = login->get<std::string>();
  else
    account.login = "github-" + std::to_string(account.id);
  auto avatar = reply.find("avatar_url");
  if (avatar != reply.end() && avatar->is_string()) {
    auto url = avatar->get<std::string>();
    if (url.size() <= 2048 && parse_url(url))
      account.avatar_url = std::move(url);
  }
  return account;
}

github_oauth::github_oauth(boost::asio::io_context& ioc,
                           std::shared_ptr<const settings> cfg)
    : ioc_(ioc),
      tls_(std::make_shared<boost::asio::ssl::context>(make_client_tls())),
      cfg_(std::move(cfg)),
      running_(std::make_shared<std::atomic<int>>(0)) {}

http_response github_oauth::start(int64_t now) const {
  auto state = make_oauth_state(cfg_->jwt_key, now);
  if (!state) {
    spdlog::error("github sign-in: no random bytes for the state");
    return error_response(http::status::service_unavailable,
                          "Sign-in is unavailable right now");
  }
  auto res = temporary_redirect(oauth_authorize_location(*cfg_, *state));
  res.set(http::field::set_cookie,
          oauth_state_cookie_value(*state, oauth_state_lifetime, *cfg_));
  return res;
}

void github_oauth::finish(const http_request& req,
                          const std::map<std::string, std::string>& query,
                          int64_t now,
                          std::function<void(oauth_outcome)> done) const {
  auto param = [&query](const char* name) -> std::string {
    auto it = query.find(name);
    return it == query.end() ? std::string{} : it->second;
  };
  auto state = param("state");
  auto cookie
    = cookie_value(to_sv(req[http::field::cookie]), oauth_state_cookie);
  // The state must be ours, fresh, and this browser's own: a callback
  // forged for someone else's browser fails here (login CSRF).
  if (state.empty() || !cookie || !same_text(state, *cookie)
      || !oauth_state_valid(state, cfg_->jwt_key, now))
    return done(error_response(http::status::bad_request,
                               "Sign-in expired or was not started here; "
                               "sign in again"));
  if (auto error = param("error"); !error.empty())
    return done(temporary_redirect(oauth_app_location(
      *cfg_, "error=" + percent_encode(safe_error_code(error)))));
  auto code = param("code");
  if (code.empty() || code.size() > 512)
    return done(error_response(http::status::bad_request,
                               "Sign-in code missing or malformed"));
  if (running_->fetch_add(1) >= max_sign_ins_at_once) {
    --*running_;
    spdlog::warn("github sign-in: {} already at GitHub, refused one",
                 max_sign_ins_at_once);
    auto busy = error_response(http::status::service_unavailable,
                               "Too many sign-ins at once; try again");
    busy.set(http::field::retry_after, "1");
    return done(std::move(busy));
  }
  // Counted until answered, whichever way.
  auto answer
    = [running = running_, done = std::move(done)](oauth_outcome outcome) {
        --*running;
        done(std::move(outcome));
      };
  fetch_request exchange;
  exchange.method = http::verb::post;
  exchange.url = cfg_->github_token_url;
  exchange.content_type = "application/x-www-form-urlencoded";
  exchange.body = oauth_token_request_body(*cfg_, code);
  http_fetch(
    ioc_, *tls_, std::move(exchange),
    [&ioc = ioc_, tls = tls_, cfg = cfg_,
     done = std::move(answer)](fetch_result res) {
      if (!res.error.empty())
        return done(bad_gateway("token", res.error));
      if (res.status != 200)
        return done(
          bad_gateway("token", "status " + std::to_string(res.status)));
      auto token = parse_access_token(res.body);
      if (token)
        return read_user(ioc, tls, cfg, *token, done);
      // GitHub answers 200 with {"error": …} for a used or
      // unknown code: the browser's, not GitHub's, failure.
      if (!is_token_refusal(res.body))
        return done(bad_gateway("token", "unexpected reply"));
      spdlog::info("github sign-in: code refused");
      done(error_response(http::status::bad_request,
                          "GitHub did not accept the sign-in; sign in again"));
    });
}

} // namespace parley
