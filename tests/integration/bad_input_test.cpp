// Bad input: malformed or mistyped bodies and over-limit requests. Every
// reply must be the right status with a JSON message, and the server must
// keep working afterwards.

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

http_response post_raw(const api& client, const std::string& target,
                       const std::string& body, const std::string& content_type,
                       const std::string& token = {}) {
  auto headers = bearer(token);
  if (!content_type.empty())
    headers.emplace_back("Content-Type", content_type);
  return client.send("POST", target, body, headers);
}

} // namespace

TEST_CASE("malformed JSON is 400", "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto id = client.conversation_with_new_user(alice);
  auto messages = "/api/conversations/" + id + "/messages";
  for (const std::string& body :
       {std::string{}, std::string{"{\"username\":"}, std::string{"not json"},
        std::string{"{\"username\": \"a\",}"}, std::string{"{'username': 'a'}"},
        std::string{"{\"username\":\"a\"} trailing"},
        std::string{"{\"a\":1"}}) {
    INFO("body: [" << body << "]");
    check_error(post_raw(client, "/api/login", body, "application/json"), 400);
    check_error(post_raw(client, "/api/conversations", body, "application/json",
                         alice.token),
                400);
    check_error(
      post_raw(client, messages, body, "application/json", alice.token), 400);
  }
  CHECK(client.messages(alice, id).empty());
  client.check_healthy();
}

TEST_CASE("invalid UTF-8 in a JSON body is 400", "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto id = client.conversation_with_new_user(alice);
  const std::vector<std::string> strings{
    "ab\xff",           "caf\xc3", // a stray byte; a truncated sequence
    "\xc0\xaf",                    // an overlong encoding of '/'
    "\xed\xa0\x80",                // a UTF-16 surrogate encoded as UTF-8
    "\xf4\x90\x80\x80",            // beyond U+10FFFF
    "\\ud800"};                    // a lone surrogate as a JSON escape
  for (const auto& text : strings) {
    INFO("string bytes: [" << text << "]");
    check_error(post_raw(client, "/api/login",
                         "{\"username\":\"" + text + "\"}", "application/json"),
                400);
    check_error(post_raw(client, "/api/conversations/" + id + "/messages",
                         "{\"content\":\"" + text + "\"}", "application/json",
                         alice.token),
                400);
  }
  CHECK(client.messages(alice, id).empty());
  client.check_healthy();
}

TEST_CASE("a request body that is not JSON is 415",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto id = client.conversation_with_new_user(alice);
  auto body = json{{"username", unique_name("typed")}}.dump();
  check_error(post_raw(client, "/api/login", body, "text/plain"), 415);
  check_error(post_raw(client, "/api/login", "username=x",
                       "application/x-www-form-urlencoded"),
              415);
  check_error(post_raw(client, "/api/login", body, ""), 415);
  check_error(post_raw(client, "/api/conversations/" + id + "/messages",
                       "{\"content\":\"hi\"}", "text/plain", alice.token),
              415);
  CHECK(client.messages(alice, id).empty());
  // A charset parameter is still JSON.
  CHECK(post_raw(client, "/api/login", body, "application/json; charset=utf-8")
          .status
        == 200);
  client.check_healthy();
}

TEST_CASE("a body over the default 64 KiB limit is 413",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto target = "/api/conversations/" + client.conversation_with_new_user(alice)
                + "/messages";
  auto body_of_size = [](std::size_t size) {
    auto frame = std::string{"{\"content\":\"\"}"};
    return "{\"content\":\"" + std::string(size - frame.size(), 'a') + "\"}";
  };
  check_error(post_raw(client, target, body_of_size(64 * 1024 + 1),
                       "application/json", alice.token),
              413);
  check_error(post_raw(client, target, body_of_size(1024 * 1024),
                       "application/json", alice.token),
              413);
  // Under the limit the body is read, and the content is what is too long.
  check_validation_error(post_raw(client, target, body_of_size(60 * 1024),
                                  "application/json", alice.token),
                         "content");
  client.check_healthy();
}

TEST_CASE("parley.max-body sets the body limit", "[integration][bad-input]") {
  server_process server{{"--parley.max-body=1KiB"}};
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto target = "/api/conversations/" + client.conversation_with_new_user(alice)
                + "/messages";
  auto body = [](std::size_t length) {
    return json{{"content", std::string(length, 'a')}}.dump();
  };
  REQUIRE(body(1011).size() == 1025);
  check_error(
    post_raw(client, target, body(1011), "application/json", alice.token), 413);
  check_validation_error(
    post_raw(client, target, body(1000), "application/json", alice.token),
    "content");
  CHECK(
    post_raw(client, target, body(480), "application/json", alice.token).status
    == 201);
  client.check_healthy();
}

TEST_CASE("headers or a request line over 8 KiB are 431",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto port = std::to_string(server.port());
  auto host = "Host: 127.0.0.1:" + port + "\r\n";
  check_error(raw_request(server.port(),
                          "GET /healthz HTTP/1.1\r\n" + host + "X-Padding: "
                            + std::string(9000, 'a') + "\r\n\r\n"),
              431);
  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "X-Padding-" + std::to_string(i) + ": " + std::string(90, 'b')
            + "\r\n";
  check_error(raw_request(server.port(),
                          "GET /healthz HTTP/1.1\r\n" + host + many + "\r\n"),
              431);
  check_error(
    raw_request(server.port(), "GET /healthz?pad=" + std::string(9000, 'c')
                                 + " HTTP/1.1\r\n" + host + "\r\n"),
    431);
  // Well under the limit is fine.
  auto fine = raw_request(server.port(),
                          "GET /healthz HTTP/1.1\r\n" + host + "X-Padding: "
                            + std::string(6000, 'd') + "\r\n\r\n");
  CHECK(fine.status == 200);
  client.check_healthy();
}

TEST_CASE("odd cursors and control characters are client errors and never 5xx",
          "[integration][bad-input]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto id = client.conversation_with_new_user(alice);
  // Their exact status is the server's choice; a 5xx or a crash is not.
  std::vector<http_response> replies;
  for (const std::string& cursor :
       std::vector<std::string>{"abc", "-1", "99999999999999999999999", "1.5",
                                "'; DROP TABLE messages; --"}) {
    replies.push_back(client.get(
      "/api/conversations?before=" + url_encode(cursor), alice.token));
    replies.push_back(client.get("/api/conversations/" + id
                                   + "/messages?before=" + url_encode(cursor),
                                 alice.token));
  }
  // PostgreSQL text cannot hold U+0000: it must be refused, not crash a query.
  replies.push_back(client.post("/api/conversations/" + id + "/messages",
                                {{"content", std::string("a\0b", 3)}},
                                alice.token));
  for (const auto& reply : replies) {
    INFO(reply.status << " " << reply.body);
    CHECK(reply.status < 500);
    if (reply.status >= 400)
      check_error(reply, reply.status);
  }
  // Whatever it answered, the store agrees with it.
  auto created = replies.back().status == 201 ? 1u : 0u;
  CHECK(client.messages(alice, id).size() == created);
  client.check_healthy();
}
