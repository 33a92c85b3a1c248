#include "net/json_mapping.hpp"

#include <catch2/catch.hpp>

using namespace parley;

TEST_CASE("users map to the API shape", "[json]") {
  user u{7, "jane", std::nullopt};
  CHECK(to_json(u).dump()
        == R"({"avatarURL":null,"id":"7","username":"jane"})");
  u.avatar_url = "https://x/a.png";
  CHECK(to_json(u)["avatarURL"] == "https://x/a.png");
}

TEST_CASE("messages know whose they are", "[json]") {
  message m{11, "hi \"there\"\n", 7, 3, "2026-01-02T03:04:05.000006Z"};
  auto mine = to_json(m, 7);
  CHECK(mine["id"] == "11");
  CHECK(mine["conversationId"] == "3");
  CHECK(mine["createdAt"] == "2026-01-02T03:04:05.000006Z");
  CHECK(mine["mine"] == true);
  CHECK(to_json(m, 8)["mine"] == false);
  // One line on the wire, whatever the content holds.
  CHECK(mine.dump().find('\n') == std::string::npos);
}

TEST_CASE("conversations", "[json]") {
  conversation c{3, user{8, "bob", std::nullopt}, std::nullopt, false};
  auto j = to_json(c, 7);
  CHECK(j["id"] == "3");
  CHECK(j["otherParticipant"]["username"] == "bob");
  CHECK(j["lastMessage"].is_null());
  CHECK(j["hasUnreadMessages"] == false);
  c.last_message = message{11, "x", 8, 3, "t"};
  c.has_unread = true;
  j = to_json(c, 7);
  CHECK(j["lastMessage"]["mine"] == false);
  CHECK(j["hasUnreadMessages"] == true);
}
