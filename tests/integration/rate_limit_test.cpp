// The per-user limits: posts (parley.post-rate, parley.post-burst), other
// requests (request-rate, request-burst) and stream opens (sse-open-rate,
// sse-open-burst). Past one: 429 with Retry-After, nothing written, other
// users and the user's other allowances unaffected.

#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "sse_client.hpp"
#include "sse_open.hpp"

using namespace itest;

namespace {

http_response post_message(const api& client, const user_session& from,
                           const std::string& conversation_id,
                           const std::string& content) {
  return client.post("/api/conversations/" + conversation_id + "/messages",
                     {{"content", content}}, from.token);
}

} // namespace

TEST_CASE("posts past a user's limit get 429 with Retry-After and are not "
          "written, while other users and reads go on, until the wait ends",
          "[integration][messages][rate_limit]") {
  // One token per 4 s, three at once: a slow machine cannot earn a token
  // back between the posts of the burst.
  server_process server{{"--parley.post-rate=0.25", "--parley.post-burst=3"}};
  api client{server.port()};
  pair_fixture pair{client};
  auto carol = client.login(unique_name("carol"));
  auto with_carol = client.start_conversation(pair.alice, carol.username)
                      .at("id")
                      .get<std::string>();

  for (int i = 1; i <= 3; ++i) {
    auto ok
      = post_message(client, pair.alice, pair.id, "a" + std::to_string(i));
    INFO(ok.body);
    REQUIRE(ok.status == 201);
  }
  auto refused = post_message(client, pair.alice, pair.id, "a4");
  INFO(refused.body);
  REQUIRE(refused.status == 429);
  check_json_type(refused);
  CHECK(refused.json().at("message").get<std::string>().find("Too many")
        != std::string::npos);
  auto retry_after = std::stoi(refused.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 4);
  // The limit is the user's, not the conversation's.
  CHECK(post_message(client, pair.alice, with_carol, "to carol").status == 429);

  // Others post, and the limited user still reads.
  CHECK(post_message(client, pair.bob, pair.id, "b1").status == 201);
  CHECK(post_message(client, carol, with_carol, "c1").status == 201);
  auto list = client.messages(pair.alice, pair.id);
  std::vector<std::string> contents;
  for (const auto& m : list)
    contents.push_back(m.at("content").get<std::string>());
  // Newest first; the refused posts are nowhere.
  CHECK(contents == std::vector<std::string>{"b1", "a3", "a2", "a1"});
  CHECK(client.messages(carol, with_carol).size() == 1);

  std::this_thread::sleep_for(std::chrono::seconds(retry_after)
                              + std::chrono::milliseconds(100));
  auto again = post_message(client, pair.alice, pair.id, "a5");
  INFO(again.body);
  CHECK(again.status == 201);
}

TEST_CASE("other requests past a user's request limit get 429 with "
          "Retry-After, while their posts and other users go on",
          "[integration][rate_limit]") {
  server_process server{
    {"--parley.request-rate=0.25", "--parley.request-burst=3"}};
  api client{server.port()};
  pair_fixture pair{client}; // set-up uses one request of each user
  auto list = [&](const user_session& as) {
    return client.get("/api/conversations", as.token);
  };
  CHECK(list(pair.alice).status == 200);
  CHECK(client.get("/api/auth_user", pair.alice.token).status == 200);
  auto refused = list(pair.alice);
  INFO(refused.body);
  REQUIRE(refused.status == 429);
  check_json_type(refused);
  auto retry_after = std::stoi(refused.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 4);
  // Every endpoint draws on it; posts have an allowance of their own.
  CHECK(
    client.get("/api/conversations/" + pair.id + "/messages", pair.alice.token)
      .status
    == 429);
  CHECK(post_message(client, pair.alice, pair.id, "still posting").status
        == 201);
  CHECK(list(pair.bob).status == 200);

  std::this_thread::sleep_for(std::chrono::seconds(retry_after)
                              + std::chrono::milliseconds(100));
  CHECK(list(pair.alice).status == 200);
}

TEST_CASE("stream opens past a user's allowance get 429 with Retry-After, "
          "while their open stream, their posts and other users go on, "
          "until the wait ends",
          "[integration][rate_limit][sse]") {
  server_process server{
    {"--parley.sse-open-rate=0.25", "--parley.sse-open-burst=2"}};
  api client{server.port()};
  pair_fixture pair{client};
  constexpr std::chrono::seconds wait{10};
  sse_client tab1{server.port()};
  open_fresh(tab1, pair.alice, 0);
  {
    sse_client tab2{server.port()};
    open_fresh(tab2, pair.alice, 0);
  } // closed: room under the cap, but not an open given back
  sse_client third{server.port()};
  auto refused = third.connect(pair.alice.token);
  check_error(refused, 429);
  CHECK(refused.header("Content-Type").find("text/event-stream")
        == std::string::npos);
  CHECK(refused.json().at("message").get<std::string>().find("Too many")
        != std::string::npos);
  auto retry_after = std::stoi(refused.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 4);

  // Bob opens; Alice's open stream still gets what Bob sends, and she posts.
  sse_client bob_tab{server.port()};
  open_fresh(bob_tab, pair.bob, 0);
  auto from_bob = post_message(client, pair.bob, pair.id, "to alice");
  REQUIRE(from_bob.status == 201);
  auto event = tab1.next_event(wait);
  REQUIRE(event);
  CHECK(event->json().at("content") == "to alice");
  REQUIRE(post_message(client, pair.alice, pair.id, "to bob").status == 201);
  event = bob_tab.next_event(wait);
  REQUIRE(event);
  CHECK(event->json().at("content") == "to bob");

  std::this_thread::sleep_for(std::chrono::seconds(retry_after)
                              + std::chrono::milliseconds(100));
  sse_client later{server.port()};
  open_fresh(later, pair.alice, 2); // Bob's message, then her own
}
