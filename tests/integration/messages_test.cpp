// Messages: create, normalisation, listing, pagination, validation, and
// SQL metacharacters.

#include <chrono>
#include <cstdlib>
#include <set>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

std::string repeat(const std::string& piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += piece;
  return out;
}

http_response post_content(const api& client, const pair_fixture& pair,
                           const json& body) {
  return client.post("/api/conversations/" + pair.id + "/messages", body,
                     pair.alice.token);
}

std::string sent_content(const api& client, const pair_fixture& pair,
                         const std::string& content) {
  auto response = post_content(client, pair, {{"content", content}});
  INFO("content [" << content << "]: " << response.body);
  REQUIRE(response.status == 201);
  return response.json().at("content").get<std::string>();
}

} // namespace

TEST_CASE("sending a message returns 201 with mine true and normalised content",
          "[integration][messages]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  auto response = post_content(
    client, pair, {{"content", "  hello   world \n\n  second  line "}});
  INFO(response.body);
  REQUIRE(response.status == 201);
  check_json_type(response);
  auto message = response.json();
  check_message(message, true);
  CHECK(message["content"] == "hello world\nsecond line");
  CHECK(message["conversationId"] == pair.id);
  // Same machine, same clock: createdAt is "now" give or take a minute.
  auto created = parse_time(message["createdAt"].get<std::string>());
  REQUIRE(created);
  auto skew = std::chrono::system_clock::now() - *created;
  CHECK(std::chrono::abs(skew) < std::chrono::minutes(1));

  CHECK(sent_content(client, pair, "a\t\tb \t c") == "a b c");
  CHECK(sent_content(client, pair, "\n\n  x  \n \n") == "x");
  CHECK(sent_content(client, pair, "one\ntwo\nthree") == "one\ntwo\nthree");
}

TEST_CASE("messages are listed newest first with mine right for each side",
          "[integration][messages]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  auto first = client.send_message(pair.alice, pair.id, "first");
  auto second = client.send_message(pair.bob, pair.id, "second");
  auto third = client.send_message(pair.alice, pair.id, "third");

  auto for_alice = client.messages(pair.alice, pair.id);
  for (const auto& message : for_alice)
    check_message(message, message["content"] != "second");
  auto second_for_alice = second;
  second_for_alice["mine"] = false;
  CHECK(for_alice == json::array({third, second_for_alice, first}));

  auto for_bob = client.messages(pair.bob, pair.id);
  REQUIRE(for_bob.size() == 3);
  CHECK(for_bob[0]["id"] == third["id"]);
  CHECK(for_bob[0]["mine"] == false);
  CHECK(for_bob[1] == second);
  CHECK(for_bob[2]["id"] == first["id"]);
  CHECK(for_bob[2]["mine"] == false);
}

TEST_CASE("message pagination splits 60 messages into pages of 25 25 and 10",
          "[integration][messages][pagination]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  std::set<std::int64_t> sent;
  for (int i = 0; i < 60; ++i) {
    const auto& from = i % 3 == 0 ? pair.bob : pair.alice;
    sent.insert(id_number(
      client.send_message(from, pair.id, "m" + std::to_string(i))["id"]));
  }
  REQUIRE(sent.size() == 60);

  std::vector<std::int64_t> seen;
  std::vector<std::size_t> page_sizes;
  std::string before;
  for (int page = 0; page < 4; ++page) {
    auto list = client.messages(pair.alice, pair.id, before);
    page_sizes.push_back(list.size());
    if (list.empty())
      break;
    for (const auto& message : list)
      seen.push_back(id_number(message["id"]));
    before = list.back()["id"].get<std::string>();
  }
  CHECK(page_sizes == std::vector<std::size_t>{25, 25, 10, 0});
  for (std::size_t i = 1; i < seen.size(); ++i)
    CHECK(seen[i] < seen[i - 1]);
  CHECK(std::set<std::int64_t>(seen.begin(), seen.end()) == sent);
  CHECK(seen.size() == sent.size());
}

TEST_CASE("message content is required and at most 480 code points after "
          "normalisation",
          "[integration][messages][validation]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  auto post
    = [&](const json& body) { return post_content(client, pair, body); };
  for (const json& body :
       {json{{"content", ""}}, json{{"content", "   \n\t \n "}},
        json{{"content", repeat("\xc3\xa9", 481)}},
        json{{"content", repeat("\xf0\x9f\x98\x80", 481)}},
        json{{"content", repeat("a", 481)}}}) {
    INFO("body: " << body.dump().substr(0, 80));
    check_validation_error(post(body), "content");
  }
  for (const json& body : {json::object(), json{{"content", 5}},
                           json{{"content", nullptr}}, json::array()}) {
    INFO("body: " << body.dump());
    CHECK(post(body).status == 422);
  }

  // Code points, not bytes: 480 two- and four-byte characters fit.
  std::vector<std::string> accepted{
    repeat("\xc3\xa9", 480), repeat("\xf0\x9f\x98\x80", 480), repeat("a", 480)};
  for (const auto& content : accepted)
    CHECK(sent_content(client, pair, content) == content);
  // The limit applies to the normalised text.
  CHECK(sent_content(client, pair, "a" + std::string(1000, ' ') + "b")
        == "a b");

  // Only the accepted messages were stored.
  auto stored = client.messages(pair.alice, pair.id);
  CHECK(stored.size() == accepted.size() + 1);
}

TEST_CASE("SQL metacharacters are stored verbatim or rejected by validation",
          "[integration][messages][injection]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  const std::vector<std::string> contents{"'; DROP TABLE users; --",
                                          "Robert'); DROP TABLE messages;--",
                                          "100% _sure_ \\ \"quoted\" 'single'",
                                          "%",
                                          "_",
                                          "\\",
                                          "\\'",
                                          "''",
                                          "$1 $$ E'\\n' \\x00",
                                          "\" OR 1=1 --",
                                          "a\\_b%c"};
  for (const auto& content : contents)
    CHECK(sent_content(client, pair, content) == content);

  auto stored = client.messages(pair.bob, pair.id);
  REQUIRE(stored.size() == contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i)
    CHECK(stored[stored.size() - 1 - i]["content"] == contents[i]);

  // Username fields are validated, so metacharacters never reach a query.
  check_validation_error(
    client.post("/api/login", {{"username", "x' OR '1'='1"}}), "username");
  check_validation_error(
    client.post("/api/conversations", {{"username", "%"}}, pair.alice.token),
    "username");
  // The tables are intact and the server still works.
  auto later = client.login(unique_name("later"));
  CHECK(client.conversation(pair.alice, pair.id)["lastMessage"]["content"]
        == contents.back());
  CHECK(client.get("/api/auth_user", later.token).status == 200);
  client.check_healthy();
}
