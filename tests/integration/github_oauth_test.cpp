// GitHub OAuth (SPEC §3) against a stand-in GitHub on loopback
// (fake_github.hpp): the redirect, the state check, the code exchange,
// find-or-create by github_id, and every way a sign-in can fail.

#include <stdlib.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "fake_github.hpp"
#include "psql.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "tls_identity.hpp"
#include "token_forge.hpp"

using namespace itest;

namespace {

const std::string origin = "http://parley.test";

// A GitHub account id no other run against this database has used.
std::int64_t fresh_github_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::int64_t> ids{1'000'000'000,
                                                  999'999'999'999};
  return ids(rd);
}

std::string account(std::int64_t id, const std::string& login,
                    const std::string& avatar = {}) {
  json user = {{"id", id}, {"login", login}, {"name", "Test User"}};
  user["avatar_url"] = avatar.empty() ? json(nullptr) : json(avatar);
  return user.dump();
}

std::string set_cookie_named(const http_response& res,
                             const std::string& name) {
  for (const auto& line : res.headers_named("Set-Cookie"))
    if (line.rfind(name + "=", 0) == 0)
      return line;
  return {};
}

// The cookie's value from a Set-Cookie line ("a=b; HttpOnly" -> "b").
std::string cookie_of(const std::string& set_cookie) {
  auto eq = set_cookie.find('=');
  auto semi = set_cookie.find(';');
  return set_cookie.substr(eq + 1, semi - eq - 1);
}

// GET /api/oauth/github: REQUIREs the 307; the state it set.
std::string start_sign_in(const api& client) {
  auto res = client.get("/api/oauth/github");
  INFO(res.body);
  REQUIRE(res.status == 307);
  auto state = cookie_of(set_cookie_named(res, "parley_oauth_state"));
  REQUIRE_FALSE(state.empty());
  REQUIRE(query_param(res.header("Location"), "state") == state);
  return state;
}

http_response callback(const api& client, const std::string& query,
                       const std::string& cookie_state) {
  header_list headers;
  if (!cookie_state.empty())
    headers.emplace_back("Cookie", "parley_oauth_state=" + cookie_state);
  return client.send("GET", "/api/oauth/github/callback?" + query, {}, headers);
}

// callback() for a thread of the test's own: no Catch assertion there (not
// thread-safe), and a failure to get an answer is status 0, not an
// exception that would end the whole test binary.
http_response callback_off_thread(const api& client, const std::string& query,
                                  const std::string& cookie_state) {
  try {
    return callback(client, query, cookie_state);
  } catch (const std::exception& e) {
    http_response none;
    none.body = e.what();
    return none;
  }
}

// The callback's answer for one sign-in as `code` (any outcome).
http_response try_sign_in(const api& client, const std::string& code) {
  auto state = start_sign_in(client);
  return callback(
    client, "code=" + url_encode(code) + "&state=" + url_encode(state), state);
}

// A whole sign-in as `code`: REQUIREs the 307 to the web client; its token.
std::string sign_in(const api& client, const std::string& code) {
  auto res = try_sign_in(client, code);
  INFO(res.body);
  REQUIRE(res.status == 307);
  auto token = query_param(res.header("Location"), "token");
  REQUIRE_FALSE(token.empty());
  return token;
}

void check_json_error(const http_response& res, int status) {
  INFO(res.body);
  CHECK(res.status == status);
  CHECK(res.header("Content-Type") == "application/json; charset=utf-8");
  CHECK(res.json().at("message").is_string());
  CHECK(set_cookie_named(res, "parley_token").empty()); // nobody signed in
}

struct github_server {
  fake_github github;
  server_process server;
  api client;

  explicit github_server(std::vector<std::string> extra = {})
      : server(args(github, std::move(extra))), client(server.port()) {}

  static std::vector<std::string> args(const fake_github& github,
                                       std::vector<std::string> extra,
                                       const std::string& host = "127.0.0.1") {
    auto all = github.server_args(host);
    all.push_back("--parley.origin=" + origin);
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }
};

} // namespace

TEST_CASE("without a client id, GitHub login is off and says so", "[oauth]") {
  server_process server;
  api client{server.port()};
  auto methods = client.get("/api/login_methods");
  REQUIRE(methods.status == 200);
  CHECK(methods.json() == json{{"devLogin", true}, {"github", false}});
  check_json_error(client.get("/api/oauth/github"), 404);
  check_json_error(client.get("/api/oauth/github/callback?code=x&state=y"),
                   404);
}

TEST_CASE("a GitHub sign-in ends at the web client with a working token",
          "[oauth]") {
  github_server s{{"--parley.dev-login=false"}};
  auto methods = s.client.get("/api/login_methods");
  REQUIRE(methods.status == 200);
  CHECK(methods.json() == json{{"devLogin", false}, {"github", true}});
  check_json_error(s.client.post("/api/login", {{"username", "mallory"}}), 404);

  auto id = fresh_github_id();
  auto login = unique_name("gh");
  s.github.add_account("code-1",
                       account(id, login, "https://avatars.example/u/1"));

  auto start = s.client.get("/api/oauth/github");
  INFO(start.body);
  REQUIRE(start.status == 307);
  auto location = start.header("Location");
  CHECK(location.rfind(s.github.base_url() + "/login/oauth/authorize?", 0)
        == 0);
  CHECK(query_param(location, "client_id") == fake_github::client_id);
  CHECK(query_param(location, "redirect_uri")
        == origin + "/api/oauth/github/callback");
  auto state_cookie = set_cookie_named(start, "parley_oauth_state");
  CHECK(state_cookie.find("; HttpOnly") != std::string::npos);
  CHECK(state_cookie.find("; SameSite=Lax") != std::string::npos);
  CHECK(state_cookie.find("; Path=/api/oauth/github") != std::string::npos);
  auto state = cookie_of(state_cookie);

  auto done
    = callback(s.client, "code=code-1&state=" + url_encode(state), state);
  INFO(done.body);
  REQUIRE(done.status == 307);
  auto back = done.header("Location");
  CHECK(back.rfind(origin + "/callback?token=", 0) == 0);
  auto token = query_param(back, "token");
  auto expires_at = query_param(back, "expires_at");
  CHECK(parse_time(expires_at));
  CHECK(cookie_of(set_cookie_named(done, "parley_token")) == token);
  // The state is used up.
  CHECK(set_cookie_named(done, "parley_oauth_state").find("Max-Age=0")
        != std::string::npos);
  // The app's secret went to the token endpoint, with the code.
  auto sent = s.github.token_requests();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].find("client_secret=test-client-secret") != std::string::npos);
  CHECK(sent[0].find("code=code-1") != std::string::npos);

  auto me = s.client.get("/api/auth_user", token);
  REQUIRE(me.status == 200);
  CHECK(me.json().at("username") == login);
  CHECK(me.json().at("avatarURL") == "https://avatars.example/u/1");

  SECTION("the same account signs in again: same user, new avatar, same name") {
    s.github.add_account(
      "code-2", account(id, login + "-renamed", "https://avatars.example/u/2"));
    auto again = s.client.get("/api/auth_user", sign_in(s.client, "code-2"));
    REQUIRE(again.status == 200);
    CHECK(again.json().at("id") == me.json().at("id"));
    CHECK(again.json().at("username") == login);
    CHECK(again.json().at("avatarURL") == "https://avatars.example/u/2");
  }
  SECTION("another account is another user, and they can talk") {
    auto other_login = unique_name("gh");
    s.github.add_account("code-3", account(fresh_github_id(), other_login));
    auto other_token = sign_in(s.client, "code-3");
    auto conv
      = s.client.post("/api/conversations", {{"username", login}}, other_token);
    INFO(conv.body);
    CHECK(conv.status == 201);
  }
}

TEST_CASE("a taken name gets a number, never another user's account",
          "[oauth]") {
  github_server s;
  auto dev = s.client.login(unique_name("gh"));
  s.github.add_account("code-taken",
                       account(fresh_github_id(), upper(dev.username)));
  auto me = s.client.get("/api/auth_user", sign_in(s.client, "code-taken"));
  REQUIRE(me.status == 200);
  CHECK(me.json().at("id") != json(dev.id));
  CHECK(me.json().at("username") == upper(dev.username) + "-2");
  // The dev user is untouched.
  CHECK(s.client.get("/api/auth_user", dev.token).json().at("username")
        == dev.username);
}

TEST_CASE("a GitHub user whose every plain name is taken still gets one",
          "[oauth]") {
  github_server s;
  auto id = fresh_github_id();
  auto login = unique_name("gh");
  // Dev logins squat the login, login-2 … login-9 and github-<id>.
  std::vector<std::string> taken{login};
  for (int n = 2; n <= 9; ++n)
    taken.push_back(login + "-" + std::to_string(n));
  taken.push_back("github-" + std::to_string(id));
  for (const auto& name : taken)
    s.client.login(name);
  s.github.add_account("code-squatted", account(id, login));

  auto me = s.client.get("/api/auth_user", sign_in(s.client, "code-squatted"));
  REQUIRE(me.status == 200);
  auto name = me.json().at("username").get<std::string>();
  INFO(name);
  CHECK(std::regex_match(
    name, std::regex{"github-" + std::to_string(id) + "-[0-9a-f]{8}"}));
  // The next sign-in of that account is the same user, name kept.
  s.github.add_account("code-squatted-2", account(id, login));
  auto again
    = s.client.get("/api/auth_user", sign_in(s.client, "code-squatted-2"));
  CHECK(again.json().at("id") == me.json().at("id"));
  CHECK(again.json().at("username") == name);
}

TEST_CASE("a callback without this browser's fresh state is refused",
          "[oauth]") {
  github_server s;
  s.github.add_account("code-state", account(fresh_github_id(), "x"));
  auto state = start_sign_in(s.client);
  auto query = "code=code-state&state=" + url_encode(state);

  SECTION("no cookie (a link made for someone else's browser)") {
    check_json_error(callback(s.client, query, ""), 400);
  }
  SECTION("a cookie of another sign-in") {
    check_json_error(callback(s.client, query, start_sign_in(s.client)), 400);
  }
  SECTION("no state in the query") {
    check_json_error(callback(s.client, "code=code-state", state), 400);
  }
  SECTION("a state the server did not sign") {
    auto forged = forge_oauth_state(unix_now() + 600, "another key");
    check_json_error(
      callback(s.client, "code=code-state&state=" + url_encode(forged), forged),
      400);
  }
  SECTION("a state of ours that expired") {
    auto old = forge_oauth_state(unix_now() - 1);
    check_json_error(
      callback(s.client, "code=code-state&state=" + url_encode(old), old), 400);
  }
  // Refused before any word with GitHub, and nobody was signed in.
  CHECK(s.github.token_requests().empty());
  // The check itself is right: the real pair passes.
  auto ok = callback(s.client, query, state);
  CHECK(ok.status == 307);
}

TEST_CASE("a sign-in cancelled at GitHub goes back to the web client",
          "[oauth]") {
  github_server s;
  auto state = start_sign_in(s.client);
  auto res
    = callback(s.client,
               "error=access_denied&error_description=The+user+said+no&state="
                 + url_encode(state),
               state);
  REQUIRE(res.status == 307);
  CHECK(res.header("Location") == origin + "/callback?error=access_denied");
  CHECK(set_cookie_named(res, "parley_token").empty());

  // Only a plain code is passed on, never GitHub's text.
  state = start_sign_in(s.client);
  res = callback(s.client, "error=%3Cscript%3E&state=" + url_encode(state),
                 state);
  REQUIRE(res.status == 307);
  CHECK(res.header("Location") == origin + "/callback?error=oauth_failed");
}

TEST_CASE("GitHub's failures are JSON errors, and nobody is signed in",
          "[oauth]") {
  github_server s;
  auto id = fresh_github_id();
  auto login = unique_name("gh");
  s.github.add_account("user-fails", "user-401");

  check_json_error(try_sign_in(s.client, "unknown-code"), 400);
  check_json_error(try_sign_in(s.client, "token-500"), 502);
  check_json_error(try_sign_in(s.client, "token-garbage"), 502);
  // An account behind it: without the size limit this one would sign in.
  s.github.add_account("token-huge", account(fresh_github_id(), "huge"));
  check_json_error(try_sign_in(s.client, "token-huge"), 502);
  check_json_error(try_sign_in(s.client, "user-fails"), 502);
  check_json_error(try_sign_in(s.client, std::string(600, 'c')), 400);
  // A callback with its state but no code at all.
  auto state = start_sign_in(s.client);
  check_json_error(callback(s.client, "state=" + url_encode(state), state),
                   400);
  // The server is well, and a good sign-in still works after all that.
  s.client.check_healthy();
  s.github.add_account("good", account(id, login));
  auto me = s.client.get("/api/auth_user", sign_in(s.client, "good"));
  CHECK(me.json().at("username") == login);
  // No code, token or secret in the server's log.
  auto log = s.server.output();
  CHECK(log.find("tok-good") == std::string::npos);
  CHECK(log.find("code=good") == std::string::npos);
  CHECK(log.find(fake_github::client_secret) == std::string::npos);
  CHECK(log.find("github sign-in") != std::string::npos);
}

TEST_CASE("GitHub out of reach is a 502, not a hang or a crash", "[oauth]") {
  std::uint16_t closed_port = 0;
  {
    fake_github gone; // takes a free port, then frees it
    closed_port = gone.port();
  }
  fake_github github;
  auto args = github_server::args(github, {});
  args.push_back("--parley.github-token-url=http://127.0.0.1:"
                 + std::to_string(closed_port) + "/login/oauth/access_token");
  server_process server{args};
  api client{server.port()};
  auto state = start_sign_in(client);
  check_json_error(callback(client, "code=x&state=" + url_encode(state), state),
                   502);
  client.check_healthy();
}

namespace {

// The server under test trusts `file` while this lives: OpenSSL's default
// verify paths read SSL_CERT_FILE, and the child inherits the environment.
// Each test case runs in a process of its own (ctest), so no other test's
// server sees it.
// Whether the stand-in's count of refused handshakes reaches `n` within
// 5 s: its connection thread counts one after the server has already
// given up on it and answered.
bool failed_handshakes_reach(const fake_github& github, int n) {
  for (int tries = 0; tries < 100 && github.failed_handshakes() < n; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return github.failed_handshakes() == n;
}

struct trusted_ca {
  explicit trusted_ca(const std::string& file) {
    ::setenv("SSL_CERT_FILE", file.c_str(), 1);
  }
  ~trusted_ca() {
    ::unsetenv("SSL_CERT_FILE");
  }
};

} // namespace

TEST_CASE("over https, GitHub's certificate must be trusted", "[oauth]") {
  tls_identity cert{{"IP:127.0.0.1", "DNS:localhost"}};
  fake_github github{&cert};
  REQUIRE(github.base_url().rfind("https://", 0) == 0);
  auto login = unique_name("gh");
  github.add_account("tls-code", account(fresh_github_id(), login));

  SECTION("trusted, and for the host's address: the sign-in works over TLS") {
    trusted_ca ca{cert.cert_file};
    server_process server{github_server::args(github, {})};
    api client{server.port()};
    auto me = client.get("/api/auth_user", sign_in(client, "tls-code"));
    CHECK(me.json().at("username") == login);
    CHECK(github.token_requests().size() == 1);
    CHECK(github.failed_handshakes() == 0);
  }
  SECTION("trusted, and for the host's name (with SNI): the same") {
    trusted_ca ca{cert.cert_file};
    server_process server{github_server::args(github, {}, "localhost")};
    api client{server.port()};
    auto me = client.get("/api/auth_user", sign_in(client, "tls-code"));
    CHECK(me.json().at("username") == login);
    CHECK(github.failed_handshakes() == 0);
  }
  SECTION("a certificate nobody vouches for: 502, and no code sent") {
    server_process server{github_server::args(github, {})};
    api client{server.port()};
    check_json_error(try_sign_in(client, "tls-code"), 502);
    CHECK(github.token_requests().empty());
    CHECK(failed_handshakes_reach(github, 1));
    CHECK(server.logged("github sign-in: token: tls handshake"));
  }
}

TEST_CASE("over https, a trusted certificate for another name is refused",
          "[oauth]") {
  tls_identity cert{{"DNS:other.example"}};
  fake_github github{&cert};
  github.add_account("tls-code", account(fresh_github_id(), "x"));
  trusted_ca ca{cert.cert_file};
  server_process server{github_server::args(github, {}, "localhost")};
  api client{server.port()};
  check_json_error(try_sign_in(client, "tls-code"), 502);
  CHECK(github.token_requests().empty());
  CHECK(failed_handshakes_reach(github, 1));
}

TEST_CASE("a GitHub that does not answer in time is a 502", "[oauth]") {
  github_server s;
  s.github.add_account("token-slow", account(fresh_github_id(), "slow"));
  auto res = try_sign_in(s.client, "token-slow");
  check_json_error(res, 502);
  CHECK(s.server.logged("github sign-in: token: timeout"));
  s.client.check_healthy();
}

TEST_CASE("the development login cannot open a GitHub user's account",
          "[oauth]") {
  github_server s; // dev login on too, as in config/parley.ini
  auto login = unique_name("gh");
  s.github.add_account("mine", account(fresh_github_id(), login));
  auto me = s.client.get("/api/auth_user", sign_in(s.client, "mine"));
  REQUIRE(me.status == 200);
  for (const auto& name : {login, upper(login)}) {
    auto res = s.client.post("/api/login", {{"username", name}});
    check_json_error(res, 403);
    CHECK(res.json().at("message") == "This user signs in with GitHub");
  }
  // Other names still log in.
  CHECK(s.client.login(unique_name("dev")).token.size() > 0);
  CHECK(s.server.logged("dev-login is on beside GitHub login"));
}

TEST_CASE("two first sign-ins of one account at once make one user",
          "[oauth]") {
  github_server s;
  auto id = fresh_github_id();
  auto login = unique_name("gh");
  s.github.add_account("race", account(id, login));
  // Another first sign-in of the same account, uncommitted: ours must wait
  // for it, then take its user.
  auto holder = "parley_gh_race_" + std::to_string(id);
  psql_session other{holder};
  other.send("BEGIN; INSERT INTO users (username, github_id) VALUES ('" + login
             + "', " + std::to_string(id) + ");");
  REQUIRE(wait_for_session(holder, "INSERT INTO users"));
  auto state = start_sign_in(s.client);
  http_response res;
  std::thread signing_in{[&] {
    res = callback_off_thread(s.client, "code=race&state=" + url_encode(state),
                              state);
  }};
  release_and_join guard{other, signing_in};
  CHECK(wait_for_blocked_by(holder));
  other.send("COMMIT;");
  signing_in.join();
  INFO(res.body);
  REQUIRE(res.status == 307);
  auto me = s.client.get("/api/auth_user",
                         query_param(res.header("Location"), "token"));
  CHECK(me.json().at("id")
        == json(psql_value("SELECT id FROM users WHERE github_id = "
                           + std::to_string(id))));
  CHECK(psql_value("SELECT count(*) FROM users WHERE github_id = "
                   + std::to_string(id))
        == "1");
}

TEST_CASE("at most 32 sign-ins talk to GitHub at once, and one more is a 503",
          "[oauth]") {
  github_server s;
  s.github.hold();
  // 32 callbacks, each with its own state, all left waiting at GitHub.
  std::vector<std::string> states;
  for (int i = 0; i < 32; ++i)
    states.push_back(start_sign_in(s.client));
  std::vector<http_response> held(states.size());
  std::vector<std::thread> waiting;
  for (size_t i = 0; i < states.size(); ++i)
    waiting.emplace_back([&, i] {
      held[i] = callback_off_thread(
        s.client, "code=token-hold&state=" + url_encode(states[i]), states[i]);
    });
  // Whatever happens below, GitHub answers and the threads end.
  struct release_all {
    fake_github& github;
    std::vector<std::thread>& threads;
    ~release_all() {
      github.release();
      for (auto& t : threads)
        if (t.joinable())
          t.join();
    }
  } guard{s.github, waiting};
  // All 32 at GitHub: each was counted before its request went out.
  // (Within 5 s: the server gives each up after 10 s.)
  for (int tries = 0; tries < 100 && s.github.token_requests().size() < 32;
       ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(s.github.token_requests().size() == 32);
  // The 33rd is refused before it reaches GitHub.
  auto busy = try_sign_in(s.client, "token-hold");
  check_json_error(busy, 503);
  CHECK(busy.json().at("message") == "Too many sign-ins at once; try again");
  CHECK(busy.header("Retry-After") == "1");
  // Everything else still works meanwhile: logins, the API, health.
  s.client.check_healthy();
  auto dev = s.client.login(unique_name("dev"));
  CHECK(s.client.get("/api/auth_user", dev.token).status == 200);

  s.github.release();
  for (auto& t : waiting)
    t.join();
  for (const auto& res : held)
    CHECK(res.status == 400); // "token-hold" is no account: GitHub refuses it
  CHECK(s.github.token_requests().size() == 32);
  // Their places are free again.
  s.github.add_account("after", account(fresh_github_id(), unique_name("gh")));
  CHECK(try_sign_in(s.client, "after").status == 307);
}

TEST_CASE("a dev login racing a first GitHub sign-in of its name is refused",
          "[oauth]") {
  github_server s;
  auto id = fresh_github_id();
  auto login = unique_name("gh");
  // The GitHub user's row, uncommitted: the dev login's insert of the same
  // name waits for it, then finds it.
  auto holder = "parley_dev_race_" + std::to_string(id);
  psql_session github_first{holder};
  github_first.send("BEGIN; INSERT INTO users (username, github_id) VALUES ('"
                    + login + "', " + std::to_string(id) + ");");
  REQUIRE(wait_for_session(holder, "INSERT INTO users"));
  http_response res;
  std::thread dev_login{[&] {
    try {
      res = s.client.post("/api/login", {{"username", login}});
    } catch (const std::exception& e) {
      res.body = e.what(); // status 0: no answer
    }
  }};
  release_and_join guard{github_first, dev_login};
  CHECK(wait_for_blocked_by(holder));
  github_first.send("COMMIT;");
  dev_login.join();
  check_json_error(res, 403);
}
