// Who may call what: every authenticated endpoint against missing and bad
// tokens, conversations of others, and the cookie and query token forms.

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "token_forge.hpp"

using namespace itest;

namespace {

struct endpoint {
  std::string method;
  std::string target;
  std::string body; // JSON text, or empty
  header_list extra;
};

// Every endpoint that needs a token, aimed at a conversation `id` the
// token's owner is in, so only the token decides the answer.
std::vector<endpoint> authenticated_endpoints(const std::string& id,
                                              const std::string& other) {
  auto conversation = "/api/conversations/" + id;
  json content{{"content", "should never be stored"}};
  return {
    {"GET", "/api/auth_user", {}, {}},
    {"POST", "/api/refresh_token", {}, {}},
    {"GET", "/api/usernames?search=a", {}, {}},
    {"POST", "/api/conversations", json{{"username", other}}.dump(), {}},
    {"GET", "/api/conversations", {}, {}},
    {"GET", conversation, {}, {}},
    {"GET", conversation + "/other_participant", {}, {}},
    {"POST", conversation + "/messages", content.dump(), {}},
    {"GET", conversation + "/messages", {}, {}},
    {"POST", conversation + "/read_messages", {}, {}},
    {"GET", "/api/messages", {}, {{"Accept", "text/event-stream"}}},
  };
}

http_response call(const api& client, const endpoint& e,
                   const header_list& auth) {
  auto headers = e.extra;
  headers.insert(headers.end(), auth.begin(), auth.end());
  if (!e.body.empty())
    headers.emplace_back("Content-Type", "application/json");
  return client.send(e.method, e.target, e.body, headers);
}

// Bad credentials, each as the Authorization header it is sent in.
std::vector<std::pair<std::string, header_list>>
bad_credentials(const user_session& alice, const user_session& bob) {
  auto now = unix_now();
  json hs256{{"alg", "HS256"}, {"typ", "JWT"}};
  json none{{"alg", "none"}, {"typ", "JWT"}};
  json claims{{"sub", alice.id}, {"iat", now}, {"exp", now + 3600}};
  auto none_token = forge_token(none, claims);
  none_token = none_token.substr(0, none_token.rfind('.') + 1);
  auto stolen_identity = token_payload(alice.token);
  stolen_identity["sub"] = bob.id;
  return {
    {"no token", {}},
    {"garbage", bearer("not-a-token")},
    {"empty bearer", {{"Authorization", "Bearer "}}},
    {"basic scheme", {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}}},
    {"expired", bearer(forge_token(alice.id, now - 7200, now - 60))},
    {"tampered signature", bearer(corrupt_signature(alice.token))},
    {"tampered payload", bearer(replace_payload(alice.token, stolen_identity))},
    {"alg none", bearer(none_token)},
    {"wrong key", bearer(forge_token(hs256, claims, "not-the-key"))},
    {"unknown user", bearer(forge_token("999999999999999", now, now + 3600))},
    {"non-numeric sub", bearer(forge_token("alice", now, now + 3600))},
    {"no exp", bearer(forge_token(hs256, {{"sub", alice.id}, {"iat", now}}))},
  };
}

} // namespace

TEST_CASE("every authenticated endpoint answers 401 to a missing or invalid "
          "token",
          "[integration][authorization]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id
    = client.start_conversation(alice, bob.username)["id"].get<std::string>();
  client.send_message(alice, id, "the only message");

  // The forging itself is right: a well-signed token for alice works, so
  // the 401s below are about what was broken, not about the forger.
  auto now = unix_now();
  auto good
    = client.get("/api/auth_user", forge_token(alice.id, now, now + 3600));
  REQUIRE(good.status == 200);
  CHECK(good.json() == alice.user);

  for (const auto& [label, auth] : bad_credentials(alice, bob)) {
    for (const auto& e : authenticated_endpoints(id, bob.username)) {
      INFO(label << ": " << e.method << " " << e.target);
      check_error(call(client, e, auth), 401);
    }
  }
  // The same expired and tampered tokens through the other two channels.
  auto expired = forge_token(alice.id, now - 7200, now - 60);
  auto tampered = corrupt_signature(alice.token);
  for (const auto& token : {expired, tampered}) {
    check_error(client.get("/api/auth_user?token=" + token), 401);
    check_error(client.send("GET", "/api/auth_user", {},
                            {{"Cookie", "parley_token=" + token}}),
                401);
  }
  // No unauthorised write got through.
  CHECK(client.messages(alice, id).size() == 1);
}

TEST_CASE("a conversation you are not in is 404 and never 403",
          "[integration][authorization]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto eve = client.login(unique_name("eve"));
  auto id
    = client.start_conversation(alice, bob.username)["id"].get<std::string>();
  client.send_message(alice, id, "private");

  auto theirs = "/api/conversations/" + id;
  auto absent = std::string{"/api/conversations/9223372036854775807"};
  for (const auto& target : {theirs, absent}) {
    INFO("target: " << target);
    check_error(client.get(target, eve.token), 404);
    check_error(client.get(target + "/other_participant", eve.token), 404);
    check_error(client.get(target + "/messages", eve.token), 404);
    check_error(
      client.post(target + "/messages", {{"content", "intrusion"}}, eve.token),
      404);
    check_error(client.post_empty(target + "/read_messages", eve.token), 404);
  }
  // "Not yours" and "does not exist" must be indistinguishable.
  CHECK(client.get(theirs, eve.token).json()["message"]
        == client.get(absent, eve.token).json()["message"]);

  CHECK(client.conversations(eve).empty());
  auto stored = client.messages(bob, id);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0]["content"] == "private");
}

TEST_CASE("a token is accepted from the parley_token cookie and the token "
          "query parameter and is never logged",
          "[integration][authorization]") {
  server_process server;
  api client{server.port()};
  auto login = client.post("/api/login", {{"username", unique_name("alice")}});
  REQUIRE(login.status == 200);
  auto alice_user = login.json()["authUser"];
  auto token = login.json()["token"].get<std::string>();
  auto bob = client.login(unique_name("bob"));

  // The cookie exactly as the browser would send it back.
  std::string cookie;
  for (const auto& set : login.headers_named("Set-Cookie"))
    if (set.rfind("parley_token=", 0) == 0)
      cookie = set.substr(0, set.find(';'));
  REQUIRE(cookie == "parley_token=" + token);
  for (const auto& header : {cookie, "theme=dark; " + cookie + "; lang=en"}) {
    INFO("Cookie: " << header);
    auto me = client.send("GET", "/api/auth_user", {}, {{"Cookie", header}});
    REQUIRE(me.status == 200);
    CHECK(me.json() == alice_user);
  }
  auto created = client.send(
    "POST", "/api/conversations", json{{"username", bob.username}}.dump(),
    {{"Cookie", cookie}, {"Content-Type", "application/json"}});
  CHECK(created.status == 201);

  auto me = client.get("/api/auth_user?token=" + token);
  REQUIRE(me.status == 200);
  CHECK(me.json() == alice_user);
  auto found = client.get("/api/usernames?search=" + url_encode(bob.username)
                          + "&token=" + token);
  REQUIRE(found.status == 200);
  CHECK(found.json() == json::array({bob.username}));

  // No token in any form reaches the log, even from a query string. Stop
  // first, so every line the server wrote has been read.
  server.stop();
  auto log = server.output();
  CHECK(log.find("/api/auth_user") != std::string::npos); // requests are logged
  CHECK(log.find(token.substr(token.rfind('.') + 1)) == std::string::npos);
  CHECK(log.find(bob.token.substr(bob.token.rfind('.') + 1))
        == std::string::npos);
}
