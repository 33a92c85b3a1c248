// CORS against the real server: parley.origin may call the API and read it,
// with credentials; any other origin gets no CORS headers.

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "sse_client.hpp"
#include "token_forge.hpp"

using namespace itest;

namespace {

const std::string app = "http://app.parley.test:5173";

header_list from(const std::string& origin, header_list more = {}) {
  more.emplace_back("Origin", origin);
  return more;
}

} // namespace

TEST_CASE("parley.origin gets CORS headers on answers, errors and streams, and "
          "other origins get none",
          "[integration][cors]") {
  server_process server{{"--parley.origin=" + app + "/"}};
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto login = client.send("POST", "/api/login",
                           R"({"username":")" + unique_name("cors") + R"("})",
                           from(app, {{"Content-Type", "application/json"}}));
  CHECK(login.status == 200);
  CHECK(login.header("Access-Control-Allow-Origin") == app);
  CHECK(login.header("Access-Control-Allow-Credentials") == "true");
  CHECK(login.header("Vary") == "Origin");

  // An error is readable too, so the page can show its message.
  auto denied = client.send("GET", "/api/auth_user", {}, from(app));
  check_error(denied, 401);
  CHECK(denied.header("Access-Control-Allow-Origin") == app);

  for (const std::string& other :
       {std::string{"http://evil.test"}, std::string{"null"}, app + ".evil"}) {
    INFO("origin " << other);
    auto res = client.send("GET", "/api/auth_user", {},
                           from(other, bearer(alice.token)));
    CHECK(res.status == 200); // CORS is the browser's check, not auth
    CHECK(res.header("Access-Control-Allow-Origin").empty());
  }
  CHECK(client.get("/api/auth_user", alice.token)
          .header("Access-Control-Allow-Origin")
          .empty());

  sse_client stream{server.port()};
  auto head = stream.open(
    "/api/messages", from(app, {{"Accept", "text/event-stream"},
                                {"Authorization", "Bearer " + alice.token}}));
  CHECK(head.status == 200);
  CHECK(head.header("Access-Control-Allow-Origin") == app);
  CHECK(head.header("Access-Control-Allow-Credentials") == "true");
  CHECK(head.header("Vary") == "Origin");
}

TEST_CASE("a stream refused after its token was checked is readable by "
          "parley.origin too",
          "[integration][cors]") {
  server_process server{
    {"--parley.origin=" + app, "--parley.sse-streams-per-user=1"}};
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto stream_headers = [](const std::string& token) {
    return from(app, {{"Accept", "text/event-stream"},
                      {"Authorization", "Bearer " + token}});
  };
  sse_client first{server.port()};
  REQUIRE(first.open("/api/messages", stream_headers(alice.token)).status
          == 200);

  // One stream too many: the broker refuses it (429).
  sse_client second{server.port()};
  auto busy = second.open("/api/messages", stream_headers(alice.token));
  check_error(busy, 429);
  CHECK(busy.header("Access-Control-Allow-Origin") == app);
  CHECK(busy.header("Access-Control-Allow-Credentials") == "true");
  CHECK(busy.header("Vary") == "Origin");

  // A well-signed token of a user who does not exist: the stream's first
  // inbox read refuses it (401).
  auto now = unix_now();
  sse_client ghost{server.port()};
  auto gone
    = ghost.open("/api/messages",
                 stream_headers(forge_token("999999999999", now, now + 3600)));
  check_error(gone, 401);
  CHECK(gone.header("Access-Control-Allow-Origin") == app);

  // Without an Origin the same refusal carries no CORS headers.
  sse_client plain{server.port()};
  auto plain_busy
    = plain.open("/api/messages", {{"Accept", "text/event-stream"},
                                   {"Authorization", "Bearer " + alice.token}});
  check_error(plain_busy, 429);
  CHECK(plain_busy.header("Access-Control-Allow-Origin").empty());
  CHECK(plain_busy.header("Vary") == "Origin");
}

TEST_CASE("CORS preflights: 204 for the origin and a method the path takes, "
          "403 for other origins, 404 and 405 by the route table",
          "[integration][cors]") {
  server_process server{{"--parley.origin=" + app}};
  api client{server.port()};
  auto ask = [&](const std::string& origin, const std::string& target,
                 const std::string& method) {
    return client.send("OPTIONS", target, {},
                       from(origin, {{"Access-Control-Request-Method", method},
                                     {"Access-Control-Request-Headers",
                                      "authorization, content-type"}}));
  };
  auto ok = ask(app, "/api/conversations/12/messages", "POST");
  CHECK(ok.status == 204);
  CHECK(ok.header("Access-Control-Allow-Origin") == app);
  CHECK(ok.header("Access-Control-Allow-Methods") == "POST");
  CHECK(ok.header("Access-Control-Allow-Headers").find("Authorization")
        != std::string::npos);
  CHECK(ok.body.empty());

  auto stranger = ask("http://evil.test", "/api/conversations", "POST");
  check_error(stranger, 403);
  CHECK(stranger.header("Access-Control-Allow-Origin").empty());
  check_error(ask(app, "/api/nowhere", "GET"), 404);
  auto wrong = ask(app, "/api/login", "DELETE");
  check_error(wrong, 405);
  CHECK(wrong.header("Allow") == "POST");
  CHECK(wrong.header("Access-Control-Allow-Origin").empty());
  // OPTIONS without the preflight header is no preflight: 405 as before.
  check_error(client.send("OPTIONS", "/api/login", {}, from(app)), 405);
}
