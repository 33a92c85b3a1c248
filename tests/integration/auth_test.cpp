// Login, auth_user, refresh_token and real token expiry.

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "token_forge.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t fourteen_days = 14 * 24 * 3600;

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// CHECKs that `expires_at` is `lifetime` from now, within a minute.
void check_expires_in(const json& expires_at, std::int64_t lifetime) {
  INFO("expiresAt: " << expires_at.dump());
  REQUIRE(expires_at.is_string());
  auto when = parse_time(expires_at.get<std::string>());
  REQUIRE(when);
  auto seconds
    = std::chrono::duration_cast<std::chrono::seconds>(when->time_since_epoch())
        .count();
  CHECK(std::llabs(seconds - (unix_now() + lifetime)) <= 60);
}

// CHECKs the token's claims: sub is the user, exp - iat the lifetime, and
// exp agrees with the expiresAt the server reported.
void check_claims(const std::string& token, const std::string& user_id,
                  std::int64_t lifetime, const json& expires_at) {
  auto claims = token_payload(token);
  INFO("claims: " << claims.dump());
  CHECK(claims.value("sub", json{}) == json(user_id));
  REQUIRE(claims.value("exp", json{}).is_number_integer());
  REQUIRE(claims.value("iat", json{}).is_number_integer());
  auto exp = claims["exp"].get<std::int64_t>();
  CHECK(exp - claims["iat"].get<std::int64_t>() == lifetime);
  auto when = parse_time(expires_at.get<std::string>());
  REQUIRE(when);
  auto reported
    = std::chrono::duration_cast<std::chrono::seconds>(when->time_since_epoch())
        .count();
  CHECK(std::llabs(reported - exp) <= 1);
}

// CHECKs `parley_token=<token>; HttpOnly; SameSite=Strict; Path=/api`.
void check_token_cookie(const http_response& response,
                        const std::string& token) {
  auto cookies = response.headers_named("Set-Cookie");
  std::string cookie;
  for (const auto& candidate : cookies)
    if (candidate.rfind("parley_token=", 0) == 0)
      cookie = candidate;
  INFO("Set-Cookie: " << cookie);
  REQUIRE(!cookie.empty());
  auto attributes = lower(cookie.substr(
    cookie.find(';') == std::string::npos ? cookie.size() : cookie.find(';')));
  CHECK(cookie.substr(0, cookie.find(';')) == "parley_token=" + token);
  CHECK(attributes.find("httponly") != std::string::npos);
  CHECK(attributes.find("samesite=strict") != std::string::npos);
  CHECK(attributes.find("path=/api") != std::string::npos);
}

} // namespace

TEST_CASE("login creates a new user and returns a 14-day token",
          "[integration][auth]") {
  server_process server;
  api client{server.port()};
  auto name = unique_name("login");
  auto response = client.post("/api/login", {{"username", name}});
  INFO(response.body);
  REQUIRE(response.status == 200);
  check_json_type(response);
  auto body = response.json();
  CHECK(keys_of(body)
        == std::set<std::string>{"authUser", "token", "expiresAt"});
  check_user(body["authUser"]);
  CHECK(body["authUser"]["username"] == name);
  CHECK(body["authUser"]["avatarURL"].is_null());
  REQUIRE(body["token"].is_string());
  auto token = body["token"].get<std::string>();
  check_expires_in(body["expiresAt"], fourteen_days);
  check_claims(token, body["authUser"]["id"].get<std::string>(), fourteen_days,
               body["expiresAt"]);
  check_token_cookie(response, token);

  auto me = client.get("/api/auth_user", token);
  REQUIRE(me.status == 200);
  check_json_type(me);
  CHECK(me.json() == body["authUser"]);
}

TEST_CASE("logout clears the stream cookie, with or without a token",
          "[integration][auth]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("logout"));
  for (const auto& token : {alice.token, std::string{}}) {
    INFO("token: " << (token.empty() ? "none" : "alice's"));
    auto response = client.post_empty("/api/logout", token);
    CHECK(response.status == 204);
    CHECK(response.body.empty());
    check_token_cookie(response, "");
    auto cookie = lower(response.header("Set-Cookie"));
    CHECK(cookie.find("max-age=0") != std::string::npos);
  }
  // It clears the browser's cookie; the token itself stays valid until it
  // expires (docs/api.md).
  CHECK(client.get("/api/auth_user", alice.token).status == 200);
  check_error(client.get("/api/logout"), 405);
}

TEST_CASE("login of an existing username returns that user, case-insensitively",
          "[integration][auth]") {
  server_process server;
  api client{server.port()};
  auto first = client.login(unique_name("same"));
  auto again = client.login(first.username);
  CHECK(again.user == first.user);
  // Another spelling finds the same account and keeps the stored one.
  auto shouted = client.login(upper(first.username));
  CHECK(shouted.user == first.user);

  auto mixed = client.login(unique_name("MiXed"));
  CHECK(mixed.username.rfind("MiXed-", 0) == 0);
  auto quiet = client.login(lower(mixed.username));
  CHECK(quiet.id == mixed.id);
  CHECK(quiet.username == mixed.username);
  CHECK(first.id != mixed.id);

  // Every login hands out a token that works for that user.
  auto me = client.get("/api/auth_user", quiet.token);
  REQUIRE(me.status == 200);
  CHECK(me.json() == mixed.user);
}

TEST_CASE("login rejects usernames that break the username pattern",
          "[integration][auth][validation]") {
  server_process server;
  api client{server.port()};
  auto base = unique_name("v");
  for (const std::string& bad :
       {std::string{}, std::string{" "}, "-" + base, "_" + base,
        base + std::string(40 - base.size(), 'x'), base + " x", base + ".x",
        base + "\xc3\xa9", std::string{"'; DROP TABLE users; --"}, base + "%",
        base + "\\", base + "'", base + "\"", base + "\t", base + "\n",
        std::string{"\xe2\x80\x8b"} + base}) {
    INFO("username: [" << bad << "]");
    check_validation_error(client.post("/api/login", {{"username", bad}}),
                           "username");
  }
  // Valid JSON of the wrong shape is a validation error too.
  for (const json& body :
       {json::object(), json{{"username", 5}}, json{{"username", nullptr}},
        json::array(), json("alice")}) {
    INFO("body: " << body.dump());
    CHECK(client.post("/api/login", body).status == 422);
  }
  // The longest valid name (39 characters) is accepted as typed.
  auto longest = base + std::string(39 - base.size(), 'y');
  CHECK(client.login(longest).username == longest);
  client.check_healthy();
}

TEST_CASE("refresh_token returns a new token for the same user",
          "[integration][auth]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto response = client.post_empty("/api/refresh_token", alice.token);
  INFO(response.body);
  REQUIRE(response.status == 200);
  check_json_type(response);
  auto body = response.json();
  CHECK(keys_of(body) == std::set<std::string>{"token", "expiresAt"});
  REQUIRE(body["token"].is_string());
  auto token = body["token"].get<std::string>();
  check_expires_in(body["expiresAt"], fourteen_days);
  check_claims(token, alice.id, fourteen_days, body["expiresAt"]);

  auto me = client.get("/api/auth_user", token);
  REQUIRE(me.status == 200);
  CHECK(me.json() == alice.user);
}

TEST_CASE("a token stops working once it expires", "[integration][auth]") {
  server_process server{{"--parley.token-lifetime=2s"}};
  api client{server.port()};
  auto response
    = client.post("/api/login", {{"username", unique_name("brief")}});
  REQUIRE(response.status == 200);
  auto body = response.json();
  auto token = body["token"].get<std::string>();
  check_expires_in(body["expiresAt"], 2);
  check_claims(token, body["authUser"]["id"].get<std::string>(), 2,
               body["expiresAt"]);
  REQUIRE(client.get("/api/auth_user", token).status == 200);

  // Wait out the real expiry: exp is whole seconds, so one more second.
  auto exp = token_payload(token)["exp"].get<std::int64_t>();
  auto until = std::chrono::system_clock::from_time_t(exp) + 1100ms;
  REQUIRE(until - std::chrono::system_clock::now() < 5s);
  std::this_thread::sleep_until(until);

  check_error(client.get("/api/auth_user", token), 401);
  check_error(client.get("/api/auth_user?token=" + token), 401);
  check_error(client.send("GET", "/api/auth_user", {},
                          {{"Cookie", "parley_token=" + token}}),
              401);
  // An expired token cannot be refreshed into a fresh one.
  check_error(client.post_empty("/api/refresh_token", token), 401);
  // Logging in again gives a working token.
  auto again = client.login(body["authUser"]["username"].get<std::string>());
  CHECK(client.get("/api/auth_user", again.token).status == 200);
}
