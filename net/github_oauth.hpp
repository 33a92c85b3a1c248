#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "config/parley_config.hpp"
#include "net/http_util.hpp"

namespace parley {

/// The GitHub account a sign-in proved, made fit for Parley: `login` is a
/// valid Parley username, `avatar_url` an http(s) URL or empty.
struct github_user {
  int64_t id = 0;
  std::string login;
  std::string avatar_url;
};

/// The cookie that ties a sign-in's `state` to the browser that began it.
constexpr const char* oauth_state_cookie = "parley_oauth_state";

/// How long a sign-in may take at GitHub, from start to callback.
constexpr int64_t oauth_state_lifetime = 600;

/// Callbacks talking to GitHub at once, at most: each costs two outbound
/// requests with the app's secret, and anyone can send one (a valid state
/// is free to get), so they are capped rather than left to GitHub's
/// throttling of the whole app.
constexpr int max_sign_ins_at_once = 32;

/// A fresh `state`: a random nonce and its expiry, signed with `key`;
/// nullopt if the system has no random bytes to give.
std::optional<std::string> make_oauth_state(const std::string& key,
                                            int64_t now);

/// Whether `state` was made by make_oauth_state with `key` and is unexpired.
bool oauth_state_valid(std::string_view state, const std::string& key,
                       int64_t now);

/// `Set-Cookie` value for the state cookie; an empty value with max_age 0
/// clears it. SameSite=Lax: the browser must send it on the redirect back
/// from github.com, a top-level navigation from another site.
std::string oauth_state_cookie_value(const std::string& state, int64_t max_age,
                                     const settings& cfg);

/// `{origin}/api/oauth/github/callback`, the redirect_uri given to GitHub.
std::string oauth_callback_url(const settings& cfg);

/// GitHub's sign-in page for this app and `state`.
std::string oauth_authorize_location(const settings& cfg,
                                     std::string_view state);

/// The form body that trades `code` for an access token.
std::string oauth_token_request_body(const settings& cfg,
                                     std::string_view code);

/// The web client's page a finished sign-in lands on:
/// `{origin}/callback?{query}`.
std::string oauth_app_location(const settings& cfg, std::string_view query);

/// The access token in GitHub's JSON token reply; nullopt for an error
/// reply (`{"error": "bad_verification_code"}`) or anything malformed.
std::optional<std::string> parse_access_token(std::string_view body);

/// Whether GitHub's token reply is a refusal of the code (a JSON object
/// with an `error`, as for a used, expired or unknown code), not a fault.
bool is_token_refusal(std::string_view body);

/// The user in GitHub's `/user` reply; nullopt without a positive numeric
/// `id`. A login that is not a valid Parley username is replaced by
/// `github-<id>`; an avatar that is not an http(s) URL is dropped.
std::optional<github_user> parse_github_user(std::string_view body);

/// A GitHub sign-in's outcome: the account, or the response to send.
using oauth_outcome = std::variant<github_user, http_response>;

/// GitHub OAuth (SPEC §3) up to the account: the redirect to GitHub, and
/// on the callback the state check, the code exchange and the user read.
/// Finding or creating the Parley user is the caller's (a database ask).
/// Runs on the Asio threads and never blocks them.
class github_oauth {
public:
  github_oauth(boost::asio::io_context& ioc,
               std::shared_ptr<const settings> cfg);

  /// False while `parley.github-client-id` is empty.
  bool enabled() const {
    return !cfg_->github_client_id.empty();
  }

  /// `307` to GitHub's sign-in page, with a fresh state cookie.
  http_response start(int64_t now) const;

  /// Answers the callback: calls `done` once, on an Asio thread, with the
  /// GitHub account, or with the response for a refused state, a sign-in
  /// the user cancelled, a failure at GitHub (logged, never the code or
  /// a token), or 503 past max_sign_ins_at_once.
  void finish(const http_request& req,
              const std::map<std::string, std::string>& query, int64_t now,
              std::function<void(oauth_outcome)> done) const;

private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<const settings> cfg_;
  std::shared_ptr<std::atomic<int>> running_; ///< callbacks at GitHub now
};

} // namespace parley
