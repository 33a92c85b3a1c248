#include "persistence/queries.hpp"

#include <limits>

#include <catch2/catch.hpp>

#include "net/text.hpp"

using namespace parley;

TEST_CASE("a new GitHub user's names: the login, numbered, the id, then a tag",
          "[queries]") {
  auto names = queries::username_candidates("octocat", 583231, "0a1b2c3d");
  REQUIRE(names.size() == 11);
  CHECK(names.front() == "octocat");
  CHECK(names[1] == "octocat-2");
  CHECK(names[8] == "octocat-9");
  CHECK(names[9] == "github-583231");
  CHECK(names.back() == "github-583231-0a1b2c3d");
}

TEST_CASE("numbered names of a 39-character login still fit", "[queries]") {
  std::string login(39, 'a');
  for (const auto& name : queries::username_candidates(login, 1, "ffffffff")) {
    CHECK(name.size() <= 39);
    CHECK(is_valid_username(name));
  }
}

TEST_CASE("the names of the largest GitHub id still fit", "[queries]") {
  auto id = std::numeric_limits<int64_t>::max();
  for (const auto& name : queries::username_candidates("a", id, "ffffffff")) {
    CHECK(name.size() <= 39);
    CHECK(is_valid_username(name));
  }
}
