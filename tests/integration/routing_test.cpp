// Routing: ids that are not ids, unknown routes, wrong methods, the web
// client's SPA fallback, and request ids.

#include <fstream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

std::set<std::string> allowed_methods(const http_response& response) {
  std::set<std::string> methods;
  std::stringstream list{response.header("Allow")};
  std::string method;
  while (std::getline(list, method, ',')) {
    auto first = method.find_first_not_of(' ');
    auto last = method.find_last_not_of(' ');
    if (first != std::string::npos)
      methods.insert(method.substr(first, last - first + 1));
  }
  return methods;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE(in);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

} // namespace

TEST_CASE("non-numeric or out-of-range conversation ids are 404",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  for (const std::string& id : std::vector<std::string>{
         "abc", "99999999999999999999999", "9223372036854775808", "-1", "0",
         "1e3", "0x10", "1.5", "9223372036854775807", "%20"}) {
    INFO("id: " << id);
    auto base = "/api/conversations/" + id;
    check_error(client.get(base, alice.token), 404);
    check_error(client.get(base + "/other_participant", alice.token), 404);
    check_error(client.get(base + "/messages", alice.token), 404);
    check_error(
      client.post(base + "/messages", {{"content", "hi"}}, alice.token), 404);
    check_error(client.post_empty(base + "/read_messages", alice.token), 404);
  }
  client.check_healthy();
}

TEST_CASE("unknown API routes are 404 with a JSON message",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto id = client.conversation_with_new_user(alice);
  for (const std::string& target : std::vector<std::string>{
         "/api/nope", "/api/users", "/api/conversations/" + id + "/nope",
         "/api/conversations/" + id + "/messages/1", "/api/login/x"}) {
    INFO("target: " << target);
    check_error(client.get(target, alice.token), 404);
    check_error(client.post(target, json::object(), alice.token), 404);
  }
  client.check_healthy();
}

TEST_CASE("a known path with a wrong method is 405 with Allow",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto conversation
    = "/api/conversations/" + client.conversation_with_new_user(alice);
  using allow = std::set<std::string>;
  const std::vector<std::tuple<std::string, std::string, allow>> cases{
    {"GET", "/api/login", {"POST"}},
    {"DELETE", "/api/login", {"POST"}},
    {"POST", "/api/auth_user", {"GET"}},
    {"GET", "/api/refresh_token", {"POST"}},
    {"POST", "/api/usernames", {"GET"}},
    {"PUT", "/api/conversations", {"GET", "POST"}},
    {"DELETE", conversation, {"GET"}},
    {"POST", conversation, {"GET"}},
    {"POST", conversation + "/other_participant", {"GET"}},
    {"PATCH", conversation + "/messages", {"GET", "POST"}},
    {"GET", conversation + "/read_messages", {"POST"}},
    {"POST", "/api/messages", {"GET"}},
    {"POST", "/healthz", {"GET"}},
  };
  for (const auto& [method, target, expected] : cases) {
    INFO(method << " " << target);
    auto response = client.send(method, target, {}, bearer(alice.token));
    check_error(response, 405);
    auto methods = allowed_methods(response);
    INFO("Allow: " << response.header("Allow"));
    for (const auto& m : expected)
      CHECK(methods.count(m) == 1);
    CHECK(methods.count(method) == 0);
  }
  client.check_healthy();
}

TEST_CASE("the web client is served at / and for unknown non-API paths",
          "[integration][static]") {
  server_process server;
  api client{server.port()};
  auto index = read_file(require_env("PARLEY_SOURCE_DIR") + "/web/index.html");
  for (const std::string& target :
       std::vector<std::string>{"/", "/some/page", "/conversations/42"}) {
    INFO("target: " << target);
    auto response = client.get(target);
    CHECK(response.status == 200);
    CHECK(response.header("Content-Type").rfind("text/html", 0) == 0);
    CHECK(response.body == index);
  }
}

TEST_CASE("every response carries X-Request-Id and a sane client id is echoed",
          "[integration][request-id]") {
  server_process server;
  api client{server.port()};
  auto first = client.get("/healthz");
  auto second = client.get("/healthz");
  CHECK(!first.header("X-Request-Id").empty());
  CHECK(!second.header("X-Request-Id").empty());
  CHECK(first.header("X-Request-Id") != second.header("X-Request-Id"));

  auto echoed
    = client.send("GET", "/healthz", {}, {{"X-Request-Id", "abc-123"}});
  CHECK(echoed.header("X-Request-Id") == "abc-123");
  // Errors carry it too: 404, 401, 400, 405.
  for (const auto& response :
       {client.get("/api/nope"), client.get("/api/auth_user"),
        client.send("POST", "/api/login", "{",
                    {{"Content-Type", "application/json"}}),
        client.send("DELETE", "/api/login")}) {
    INFO(response.status << " " << response.body);
    CHECK(response.status >= 400);
    CHECK(!response.header("X-Request-Id").empty());
  }
  auto error
    = client.send("GET", "/api/nope", {}, {{"X-Request-Id", "req-42"}});
  CHECK(error.status == 404);
  CHECK(error.header("X-Request-Id") == "req-42");
}
