// GET /api/usernames: prefix search over usernames.

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

// The search result as strings; REQUIREs 200 and a JSON array of strings.
std::vector<std::string> search(const api& client, const user_session& as,
                                const std::string& prefix) {
  auto response
    = client.get("/api/usernames?search=" + url_encode(prefix), as.token);
  INFO("search [" << prefix << "]: " << response.status << " "
                  << response.body);
  REQUIRE(response.status == 200);
  check_json_type(response);
  auto body = response.json();
  REQUIRE(body.is_array());
  std::vector<std::string> names;
  for (const auto& name : body) {
    REQUIRE(name.is_string());
    names.push_back(name.get<std::string>());
  }
  return names;
}

using names = std::vector<std::string>;

} // namespace

TEST_CASE("usernames search is a case-insensitive prefix match of at most 5 "
          "sorted names without the caller",
          "[integration][usernames]") {
  server_process server;
  api client{server.port()};
  // Every name shares a prefix no other process or earlier run uses.
  auto base = unique_name("srch");
  auto caller = client.login(base + "-a0");
  names a;
  for (char c = '6'; c >= '1'; --c) // created out of order on purpose
    a.insert(a.begin(), client.login(base + "-a" + c).username);
  auto b1 = client.login(base + "-b1").username;
  auto mixed = client.login(base + "-Cx").username;

  CHECK(search(client, caller, base + "-a") == names(a.begin(), a.begin() + 5));
  CHECK(search(client, caller, upper(base + "-a"))
        == names(a.begin(), a.begin() + 5));
  CHECK(search(client, caller, base + "-b") == names{b1});
  CHECK(search(client, caller, base + "-a6") == names{a[5]});
  CHECK(search(client, caller, base + "-a0").empty()); // only the caller
  CHECK(search(client, caller, base + "-zz").empty());
  // The stored spelling comes back, whatever the case of the search.
  CHECK(search(client, caller, base + "-c") == names{mixed});
  // Another caller sees the first caller and not itself.
  auto other = client.login(a[0]);
  CHECK(search(client, other, base + "-a")
        == names{caller.username, a[1], a[2], a[3], a[4]});
}

TEST_CASE("usernames search treats percent underscore and backslash literally",
          "[integration][usernames]") {
  server_process server;
  api client{server.port()};
  auto base = unique_name("lit");
  auto caller = client.login(base + "-caller");
  auto underscore = client.login(base + "-x_b").username;
  client.login(base + "-xab");
  client.login(base + "-xcd");

  // As LIKE wildcards, `_` would match "xab" and `%` would match all.
  CHECK(search(client, caller, base + "-x_") == names{underscore});
  CHECK(search(client, caller, base + "-x%").empty());
  CHECK(search(client, caller, base + "%").empty());
  CHECK(search(client, caller, base + "-x\\").empty());
  CHECK(search(client, caller, base + "-x\\_").empty());
  CHECK(search(client, caller, "%").empty());
  CHECK(search(client, caller, "_").empty());
  CHECK(search(client, caller, "'; DROP TABLE users; --").empty());
  CHECK(search(client, caller, "\"").empty());
  CHECK(search(client, caller, base + "-x_b") == names{underscore});
  client.check_healthy();
}

TEST_CASE("usernames search needs a non-empty search",
          "[integration][usernames]") {
  server_process server;
  api client{server.port()};
  auto caller = client.login(unique_name("empty"));
  check_validation_error(client.get("/api/usernames?search=", caller.token),
                         "search");
  check_validation_error(client.get("/api/usernames", caller.token), "search");
}
