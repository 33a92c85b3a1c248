// The database goes away and comes back: the server answers 503 meanwhile,
// never crashes, and recovers by itself.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "unix_proxy.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

/// A private directory under /tmp for the proxy's socket, removed at the
/// end (the proxy removes its socket file when it stops).
struct temp_dir {
  temp_dir() {
    char pattern[] = "/tmp/parley-outage-XXXXXX";
    if (mkdtemp(pattern) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~temp_dir() { rmdir(path.c_str()); }

  std::string path;
};

/// Polls (every 200 ms, up to 15 s) until `needed` rounds in a row of
/// healthz and an authenticated list both succeed. Several in a row, so
/// every pooled connection has had to come back, not just the first one.
bool wait_for_recovery(const api& client, const user_session& as, int needed) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  int in_a_row = 0;
  while (in_a_row < needed && std::chrono::steady_clock::now() < deadline) {
    auto health = client.get("/healthz");
    auto list = client.get("/api/conversations", as.token);
    if (health.status == 200 && list.status == 200) {
      ++in_a_row;
    } else {
      in_a_row = 0;
      std::this_thread::sleep_for(200ms);
    }
  }
  return in_a_row >= needed;
}

// The server's --parley.db-url, pointing libpq at the proxy's directory.
std::string db_url_through(const std::string& socket_dir,
                           const std::string& pg_port) {
  return "postgresql://" + require_env("PARLEY_TEST_PGUSER") + "@/"
         + require_env("PARLEY_TEST_PGDATABASE") + "?host=" + socket_dir
         + "&port=" + pg_port;
}

// While the database is away: 503 with a JSON message for what needs it,
// the usual answers for what does not, and no crash.
void check_outage_answers(const api& client, server_process& server,
                          const user_session& alice, const std::string& id) {
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    check_error(client.get("/api/conversations", alice.token), 503);
    check_error(client.post("/api/conversations/" + id + "/messages",
                            {{"content", "during the outage"}}, alice.token),
                503);
    check_error(client.post("/api/login", {{"username", unique_name("carol")}}),
                503);
    check_error(client.get("/healthz"), 503);
    REQUIRE(server.running());
  }
  check_error(client.get("/api/conversations"), 401);
  CHECK(client.get("/").status == 200);
}

} // namespace

TEST_CASE("a database outage gives 503 and the server recovers when the "
          "database returns",
          "[integration][outage]") {
  auto pg_port = require_env("PARLEY_TEST_PGPORT");
  auto socket_name = "/.s.PGSQL." + pg_port;
  temp_dir dir;
  unix_proxy proxy{dir.path + socket_name,
                   require_env("PARLEY_TEST_PGHOST") + socket_name};
  proxy.start();
  // Declared after the proxy: the server stops first, with the database up.
  server_process server{{"--parley.db-url=" + db_url_through(dir.path, pg_port)}};
  // The set-up is only meaningful if the server really goes through us.
  REQUIRE(proxy.accepted() > 0);
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id = client.start_conversation(alice, bob.username)["id"].get<std::string>();
  client.send_message(alice, id, "before the outage");
  client.check_healthy();

  proxy.stop();
  check_outage_answers(client, server, alice, id);

  proxy.start();
  REQUIRE(wait_for_recovery(client, alice, 8));
  client.check_healthy();
  CHECK(client.send_message(bob, id, "after the outage")["mine"] == true);
  auto stored = client.messages(alice, id);
  REQUIRE(stored.size() == 2); // nothing from the outage was half-stored
  CHECK(stored[0]["content"] == "after the outage");
  CHECK(stored[1]["content"] == "before the outage");
  CHECK(client.login(unique_name("dave")).id != alice.id);
  CHECK(server.running());
}
