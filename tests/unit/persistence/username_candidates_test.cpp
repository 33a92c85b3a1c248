#include "persistence/queries.hpp"

#include <catch2/catch.hpp>

#include "net/text.hpp"

using namespace parley;

TEST_CASE("a new GitHub user's names: the login, then numbered, then the id",
          "[queries]") {
  auto names = queries::username_candidates("octocat", 583231);
  REQUIRE(names.size() == 10);
  CHECK(names.front() == "octocat");
  CHECK(names[1] == "octocat-2");
  CHECK(names[8] == "octocat-9");
  CHECK(names.back() == "github-583231");
}

TEST_CASE("numbered names of a 39-character login still fit", "[queries]") {
  std::string login(39, 'a');
  for (const auto& name : queries::username_candidates(login, 1)) {
    CHECK(name.size() <= 39);
    CHECK(is_valid_username(name));
  }
}
