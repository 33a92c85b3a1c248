// Conversations: create, get, other participant, list, unread state,
// pagination.

#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "psql.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

std::string id_of(const json& object) {
  return object.at("id").get<std::string>();
}

std::vector<std::string> ids_of(const json& list) {
  std::vector<std::string> ids;
  for (const auto& item : list)
    ids.push_back(id_of(item));
  return ids;
}

bool unread(const api& client, const user_session& as, const std::string& id) {
  return client.conversation(as, id).at("hasUnreadMessages").get<bool>();
}

// hasUnreadMessages of conversation `id` in the caller's list (REQUIREs it
// is listed), so the list and the single view are both checked.
bool unread_in_list(const api& client, const user_session& as,
                    const std::string& id) {
  for (const auto& item : client.conversations(as))
    if (id_of(item) == id)
      return item.at("hasUnreadMessages").get<bool>();
  FAIL("conversation " << id << " is not in " << as.username << "'s list");
  return false;
}

} // namespace

TEST_CASE("creating a conversation gives 201 when new and then 200 with the "
          "same id from either side",
          "[integration][conversations]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));

  auto created = client.post("/api/conversations", {{"username", bob.username}},
                             alice.token);
  INFO(created.body);
  REQUIRE(created.status == 201);
  check_json_type(created);
  auto conversation = created.json();
  check_conversation(conversation);
  CHECK(conversation["otherParticipant"] == bob.user);
  CHECK(conversation["lastMessage"].is_null());
  CHECK(conversation["hasUnreadMessages"] == false);
  auto id = id_of(conversation);
  CHECK(created.header("Location") == "/api/conversations/" + id);

  // The other side, typing the name in another case, gets the same one.
  auto reverse = client.post("/api/conversations",
                             {{"username", upper(alice.username)}}, bob.token);
  INFO(reverse.body);
  REQUIRE(reverse.status == 200);
  check_conversation(reverse.json());
  CHECK(id_of(reverse.json()) == id);
  CHECK(reverse.json()["otherParticipant"] == alice.user);
  CHECK(reverse.header("Location") == "/api/conversations/" + id);

  auto again = client.post("/api/conversations", {{"username", bob.username}},
                           alice.token);
  REQUIRE(again.status == 200);
  CHECK(again.json() == conversation);
  CHECK(again.header("Location") == "/api/conversations/" + id);
}

TEST_CASE("creating a conversation answers 422 to a bad username and 404 to "
          "an unknown user and 403 to yourself",
          "[integration][conversations][validation]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto create = [&](const json& body) {
    return client.post("/api/conversations", body, alice.token);
  };
  check_validation_error(create({{"username", ""}}), "username");
  check_validation_error(create({{"username", "'; DROP TABLE users; --"}}),
                         "username");
  CHECK(create(json::object()).status == 422);
  CHECK(create({{"username", 5}}).status == 422);
  CHECK(create(json::array()).status == 422);
  // A well-formed name nobody has logged in with.
  check_error(create({{"username", unique_name("ghost")}}), 404);
  check_error(create({{"username", alice.username}}), 403);
  check_error(create({{"username", upper(alice.username)}}), 403);
  // None of that created a conversation.
  CHECK(client.conversations(alice).empty());
}

TEST_CASE("get conversation and other participant",
          "[integration][conversations]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id = id_of(client.start_conversation(alice, bob.username));

  auto fresh = client.conversation(alice, id);
  check_conversation(fresh);
  CHECK(fresh["lastMessage"].is_null());
  CHECK(fresh["hasUnreadMessages"] == false);

  auto other = client.get("/api/conversations/" + id + "/other_participant",
                          alice.token);
  REQUIRE(other.status == 200);
  check_json_type(other);
  CHECK(other.json() == bob.user);
  other
    = client.get("/api/conversations/" + id + "/other_participant", bob.token);
  REQUIRE(other.status == 200);
  CHECK(other.json() == alice.user);

  auto sent = client.send_message(alice, id, "hello bob");
  auto mine = client.conversation(alice, id);
  check_conversation(mine);
  CHECK(mine["id"] == id);
  CHECK(mine["otherParticipant"] == bob.user);
  CHECK(mine["lastMessage"] == sent);
  CHECK(mine["hasUnreadMessages"] == false);

  auto theirs = client.conversation(bob, id);
  check_conversation(theirs);
  CHECK(theirs["otherParticipant"] == alice.user);
  auto expected = sent;
  expected["mine"] = false;
  CHECK(theirs["lastMessage"] == expected);
  CHECK(theirs["hasUnreadMessages"] == true);
}

TEST_CASE("the conversation list holds only conversations with messages by "
          "latest activity",
          "[integration][conversations]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto carol = client.login(unique_name("carol"));
  auto dave = client.login(unique_name("dave"));
  auto with_bob = id_of(client.start_conversation(alice, bob.username));
  auto with_carol = id_of(client.start_conversation(alice, carol.username));
  auto with_dave = id_of(client.start_conversation(dave, alice.username));
  CHECK(client.conversations(alice).empty());

  client.send_message(alice, with_carol, "one");
  CHECK(ids_of(client.conversations(alice)) == std::vector{with_carol});
  client.send_message(alice, with_bob, "two");
  client.send_message(dave, with_dave, "three");
  CHECK(ids_of(client.conversations(alice))
        == std::vector{with_dave, with_bob, with_carol});
  auto last = client.send_message(carol, with_carol, "four");

  auto list = client.conversations(alice);
  CHECK(ids_of(list) == std::vector{with_carol, with_dave, with_bob});
  for (const auto& item : list)
    check_conversation(item);
  REQUIRE(list.size() == 3);
  CHECK(list[0]["otherParticipant"] == carol.user);
  CHECK(list[0]["lastMessage"]["id"] == last["id"]);
  CHECK(list[0]["lastMessage"]["content"] == "four");
  CHECK(list[0]["lastMessage"]["mine"] == false);
  CHECK(list[1]["otherParticipant"] == dave.user);
  CHECK(list[2]["lastMessage"]["mine"] == true);
  // Each side sees only its own conversations.
  CHECK(ids_of(client.conversations(carol)) == std::vector{with_carol});
  CHECK(client.conversations(carol)[0]["otherParticipant"] == alice.user);
}

TEST_CASE(
  "hasUnreadMessages follows new messages and listing and read_messages",
  "[integration][conversations]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id = id_of(client.start_conversation(alice, bob.username));
  // Nothing to read yet: 204 all the same.
  CHECK(
    client.post_empty("/api/conversations/" + id + "/read_messages", bob.token)
      .status
    == 204);

  client.send_message(alice, id, "first");
  CHECK_FALSE(unread(client, alice, id)); // your own message is never unread
  CHECK_FALSE(unread_in_list(client, alice, id));
  CHECK(unread(client, bob, id));
  CHECK(unread_in_list(client, bob, id));

  client.messages(bob, id); // listing the messages reads them
  CHECK_FALSE(unread(client, bob, id));

  client.send_message(alice, id, "second");
  CHECK(unread_in_list(client, bob, id));
  auto read = client.post_empty("/api/conversations/" + id + "/read_messages",
                                bob.token);
  CHECK(read.status == 204);
  CHECK(read.body.empty());
  CHECK_FALSE(unread(client, bob, id));
  CHECK_FALSE(unread_in_list(client, bob, id));

  client.send_message(bob, id, "reply");
  CHECK(unread(client, alice, id));
  CHECK_FALSE(unread(client, bob, id));
  CHECK(
    client
      .post_empty("/api/conversations/" + id + "/read_messages", alice.token)
      .status
    == 204);
  CHECK_FALSE(unread(client, alice, id));
}

TEST_CASE("a message still committing when its reader marks the "
          "conversation read stays unread",
          "[integration][conversations]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  const auto& alice = pair.alice;
  const auto& bob = pair.bob;
  const auto& id = pair.id;
  client.send_message(alice, id, "first");
  client.messages(bob, id);
  REQUIRE_FALSE(unread(client, bob, id));

  // Holding alice's user row makes her next post's statement wait for it
  // after the statement began (its messages' time is taken then), as it
  // waits behind another batch under load.
  auto holder = "parley_unread_" + alice.id;
  psql_session lock{holder};
  lock.send("BEGIN; SELECT 1 FROM users WHERE id = " + alice.id
            + " FOR UPDATE;");
  REQUIRE(wait_for_session(holder, "FOR UPDATE"));
  http_response posted;
  std::thread poster{[&] {
    posted = client.post("/api/conversations/" + id + "/messages",
                         {{"content", "second"}}, alice.token);
  }};
  // Whatever happens below, the lock goes and the post ends.
  release_and_join guard{lock, poster};
  CHECK(wait_for_blocked_by(holder));
  // Bob marks the conversation read while "second" waits to commit.
  CHECK(
    client.post_empty("/api/conversations/" + id + "/read_messages", bob.token)
      .status
    == 204);
  lock.send("COMMIT;");
  poster.join();
  REQUIRE(posted.status == 201);
  CHECK(unread(client, bob, id));
  CHECK(unread_in_list(client, bob, id));
  CHECK_FALSE(unread(client, alice, id));
  client.messages(bob, id); // now he has seen it
  CHECK_FALSE(unread(client, bob, id));
}

TEST_CASE("conversation pagination gives 25 then 5 by latest activity with "
          "no duplicate or gap",
          "[integration][conversations][pagination]") {
  server_process server;
  api client{server.port()};
  auto owner = client.login(unique_name("owner"));
  std::vector<std::string> newest_first;
  for (int i = 0; i < 30; ++i) {
    auto partner = client.login(unique_name("p"));
    auto id = id_of(client.start_conversation(owner, partner.username));
    client.send_message(partner, id, "hi " + std::to_string(i));
    newest_first.insert(newest_first.begin(), id);
  }

  auto first = ids_of(client.conversations(owner));
  CHECK(first == std::vector(newest_first.begin(), newest_first.begin() + 25));
  REQUIRE(first.size() == 25);
  auto second = ids_of(client.conversations(owner, first.back()));
  CHECK(second == std::vector(newest_first.begin() + 25, newest_first.end()));
  REQUIRE(!second.empty());
  CHECK(client.conversations(owner, second.back()).empty());

  // New activity in the oldest conversation moves it to the top.
  auto oldest = newest_first.back();
  client.send_message(owner, oldest, "back again");
  newest_first.pop_back();
  newest_first.insert(newest_first.begin(), oldest);
  first = ids_of(client.conversations(owner));
  CHECK(first == std::vector(newest_first.begin(), newest_first.begin() + 25));
  REQUIRE(first.size() == 25);
  second = ids_of(client.conversations(owner, first.back()));
  CHECK(second == std::vector(newest_first.begin() + 25, newest_first.end()));
  std::set<std::string> all(first.begin(), first.end());
  all.insert(second.begin(), second.end());
  CHECK(all.size() == 30);
}
