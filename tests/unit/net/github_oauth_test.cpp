#include "net/github_oauth.hpp"

#include <catch2/catch.hpp>

#include "net/http_util.hpp"

using namespace parley;

namespace {

const std::string key = "unit-test-key";
constexpr int64_t now = 1'700'000'000;

settings github_settings() {
  settings s;
  s.origin = "https://chat.example.org/";
  s.github_client_id = "app id";
  s.github_client_secret = "s3cr&t";
  s.github_authorize_url = "https://github.com/login/oauth/authorize";
  return s;
}

} // namespace

TEST_CASE("an OAuth state verifies until it expires", "[oauth]") {
  auto state = make_oauth_state(key, now);
  REQUIRE(state);
  CHECK(oauth_state_valid(*state, key, now));
  CHECK(oauth_state_valid(*state, key, now + oauth_state_lifetime));
  CHECK_FALSE(oauth_state_valid(*state, key, now + oauth_state_lifetime + 1));
  CHECK_FALSE(oauth_state_valid(*state, "another key", now));
  // Each start gets its own.
  CHECK(make_oauth_state(key, now) != state);
}

TEST_CASE("a forged or altered OAuth state is refused", "[oauth]") {
  auto state = *make_oauth_state(key, now);
  auto dot = state.find('.');
  auto longer
    = state.substr(0, dot) + ".9999999999" + state.substr(state.rfind('.'));
  CHECK_FALSE(oauth_state_valid(longer, key, now));
  auto flipped = state;
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  CHECK_FALSE(oauth_state_valid(flipped, key, now));
  for (const char* bad : {"", ".", "..", "abc", "a.b.c", "a..c"})
    CHECK_FALSE(oauth_state_valid(bad, key, now));
}

TEST_CASE("the state cookie is HttpOnly, Lax, for the OAuth paths only",
          "[oauth]") {
  auto cfg = github_settings();
  CHECK(oauth_state_cookie_value("abc", 600, cfg)
        == "parley_oauth_state=abc; HttpOnly; SameSite=Lax;"
           " Path=/api/oauth/github; Max-Age=600; Secure");
  cfg.origin = "http://localhost:8080";
  CHECK(oauth_state_cookie_value("", 0, cfg)
        == "parley_oauth_state=; HttpOnly; SameSite=Lax;"
           " Path=/api/oauth/github; Max-Age=0");
}

TEST_CASE("the URLs of a sign-in", "[oauth]") {
  auto cfg = github_settings();
  CHECK(oauth_callback_url(cfg)
        == "https://chat.example.org/api/oauth/github/callback");
  CHECK(oauth_authorize_location(cfg, "n.1.m")
        == "https://github.com/login/oauth/authorize?client_id=app%20id"
           "&redirect_uri=https%3A%2F%2Fchat.example.org%2Fapi%2Foauth%2F"
           "github%2Fcallback&state=n.1.m");
  cfg.github_authorize_url = "http://127.0.0.1:9/authorize?allow_signup=0";
  CHECK(oauth_authorize_location(cfg, "s").rfind(
          "http://127.0.0.1:9/authorize?allow_signup=0&client_id=", 0)
        == 0);
  CHECK(oauth_token_request_body(cfg, "c&d")
        == "client_id=app%20id&client_secret=s3cr%26t&code=c%26d"
           "&redirect_uri=https%3A%2F%2Fchat.example.org%2Fapi%2Foauth%2F"
           "github%2Fcallback");
  CHECK(oauth_app_location(cfg, "error=access_denied")
        == "https://chat.example.org/callback?error=access_denied");
}

TEST_CASE("GitHub's token reply", "[oauth]") {
  CHECK(parse_access_token(
          R"({"access_token":"gho_abc","token_type":"bearer","scope":""})")
        == std::string{"gho_abc"});
  CHECK_FALSE(parse_access_token(
    R"({"error":"bad_verification_code","error_description":"x"})"));
  CHECK_FALSE(parse_access_token("access_token=gho_abc&token_type=bearer"));
  CHECK_FALSE(parse_access_token(R"({"access_token":""})"));
  CHECK_FALSE(parse_access_token(R"({"access_token":42})"));
  CHECK_FALSE(parse_access_token(R"({"access_token":"a\r\nX-Evil: 1"})"));
  CHECK_FALSE(parse_access_token(R"(["access_token"])"));
  // A refused code is GitHub's word; anything else unexpected is a fault.
  CHECK(is_token_refusal(R"({"error":"bad_verification_code"})"));
  CHECK_FALSE(is_token_refusal("access_token=gho_abc"));
  CHECK_FALSE(is_token_refusal(R"({"error":3})"));
  CHECK_FALSE(is_token_refusal(R"({"access_token":"gho_abc"})"));
}

TEST_CASE("GitHub's user reply, made fit for Parley", "[oauth]") {
  auto u = parse_github_user(
    R"({"id":583231,"login":"octocat","avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","name":"The Octocat"})");
  REQUIRE(u);
  CHECK(u->id == 583231);
  CHECK(u->login == "octocat");
  CHECK(u->avatar_url == "https://avatars.githubusercontent.com/u/583231?v=4");

  // A login Parley cannot take as a username, an avatar that is no URL.
  u = parse_github_user(
    R"j({"id":7,"login":"bad name<script>","avatar_url":"javascript:alert(1)"})j");
  REQUIRE(u);
  CHECK(u->login == "github-7");
  CHECK(u->avatar_url.empty());
  u = parse_github_user(R"({"id":8,"avatar_url":null})");
  REQUIRE(u);
  CHECK(u->login == "github-8");

  for (const char* bad :
       {R"({"login":"octocat"})", R"({"id":"583231","login":"octocat"})",
        R"({"id":0,"login":"x"})", R"({"id":-3,"login":"x"})",
        R"({"id":1.5,"login":"x"})", "not json", "[]"})
    CHECK_FALSE(parse_github_user(bad));
}
