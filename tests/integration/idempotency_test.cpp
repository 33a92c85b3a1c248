// Idempotency keys on message posts (docs/api.md): a post sent again with
// its Idempotency-Key, because its answer was lost, gets the message saved
// the first time; nothing is saved or delivered twice.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "sse_client.hpp"
#include "sse_open.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

http_response post_keyed(const api& client, const user_session& from,
                         const std::string& conversation,
                         const std::string& content, const std::string& key) {
  auto headers = bearer(from.token);
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("Idempotency-Key", key);
  return client.send("POST", "/api/conversations/" + conversation + "/messages",
                     json{{"content", content}}.dump(), headers);
}

// The Message of a 201; REQUIREs it.
json created(const http_response& response) {
  INFO(response.status << " " << response.body);
  REQUIRE(response.status == 201);
  return response.json();
}

std::vector<std::string> listed_ids(const api& client, const user_session& as,
                                    const std::string& conversation) {
  std::vector<std::string> ids;
  for (const auto& m : client.messages(as, conversation))
    ids.push_back(m.at("id").get<std::string>());
  return ids;
}

} // namespace

TEST_CASE("a post sent again with its Idempotency-Key gets the message saved "
          "the first time, and nothing is saved or delivered twice",
          "[integration][messages][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  sse_client bob_stream{server.port()};
  open_fresh(bob_stream, pair.bob, 0);

  auto first_response = post_keyed(client, pair.alice, pair.id, "hello", "k-1");
  auto first = created(first_response);
  CHECK_FALSE(first_response.has_header("Idempotent-Replayed"));
  auto again_response = post_keyed(client, pair.alice, pair.id, "hello", "k-1");
  auto again = created(again_response);
  CHECK(again == first); // id, content, createdAt, mine
  CHECK(again_response.header("Idempotent-Replayed") == "true");
  // The same content after normalisation is the same post.
  CHECK(created(post_keyed(client, pair.alice, pair.id, "  hello ", "k-1"))
        == first);
  // Other content under a used key is a client's mistake, not a retry.
  auto reused = post_keyed(client, pair.alice, pair.id, "other", "k-1");
  CHECK(reused.status == 422);
  CHECK(reused.json().at("errors").contains("Idempotency-Key"));

  // Keys belong to a sender in a conversation; posts without one are never
  // taken for each other.
  auto bobs = created(post_keyed(client, pair.bob, pair.id, "hello", "k-1"));
  auto plain = client.send_message(pair.alice, pair.id, "hello");
  auto plain_again = client.send_message(pair.alice, pair.id, "hello");
  auto other_conversation = client.conversation_with_new_user(pair.alice);
  auto elsewhere = created(
    post_keyed(client, pair.alice, other_conversation, "hello", "k-1"));
  std::vector<std::string> ids;
  for (const auto* m : {&first, &bobs, &plain, &plain_again})
    ids.push_back(m->at("id").get<std::string>());
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 4);
  CHECK(elsewhere.at("id") != first.at("id"));

  // A key does not open a conversation to someone outside it: 404, sent
  // once or again, and nothing is saved.
  auto outsider = client.login(unique_name("carol"));
  for (int attempt = 0; attempt < 2; ++attempt)
    CHECK(post_keyed(client, outsider, pair.id, "hello", "k-1").status == 404);

  // Saved once: newest first in the list.
  CHECK(listed_ids(client, pair.alice, pair.id)
        == std::vector<std::string>{ids[3], ids[2], ids[1], ids[0]});
  // Delivered once: Bob's stream gets Alice's three messages (his own is
  // not on a stream without include_own), each once, in order, and his
  // inbox seqs count exactly the four saved.
  auto events = bob_stream.read_events(3, 10s);
  REQUIRE(events.size() == 3);
  std::vector<std::string> delivered;
  for (const auto& event : events)
    delivered.push_back(event.json().at("id").get<std::string>());
  CHECK(delivered == std::vector<std::string>{ids[0], ids[2], ids[3]});
  CHECK(events.back().seq() == 4);
}

TEST_CASE("a malformed Idempotency-Key is refused with 422 and saves nothing",
          "[integration][messages]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  for (const std::string& key :
       {std::string{}, std::string(65, 'k'), std::string{"a b"},
        std::string{"\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87"}}) {
    auto response = post_keyed(client, pair.alice, pair.id, "hello", key);
    INFO("key [" << key << "]: " << response.status << " " << response.body);
    CHECK(response.status == 422);
    CHECK(response.json().at("errors").contains("Idempotency-Key"));
  }
  // The longest key taken, and a UUID.
  created(post_keyed(client, pair.alice, pair.id, "a", std::string(64, 'k')));
  created(post_keyed(client, pair.alice, pair.id, "b",
                     "0f8fad5b-d9cb-469f-a165-70867728950e"));
  CHECK(listed_ids(client, pair.alice, pair.id).size() == 2);
}
