// The database goes away and comes back: the server answers 503 meanwhile,
// never crashes, and recovers by itself.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "psql.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "sse_client.hpp"
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
  ~temp_dir() {
    rmdir(path.c_str());
  }

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
  // A stream asked for meanwhile gets its 200 and ends at once, so the
  // browser retries: a 401 or 5xx would end an EventSource for good.
  sse_client stream{server.port()};
  auto head = stream.connect(alice.token);
  CHECK(head.status == 200);
  CHECK(head.header("Content-Type").find("text/event-stream")
        != std::string::npos);
  CHECK(stream.wait_closed(15s));
  CHECK(stream.pending().empty());
}

/// A server whose database connections go through a proxy the test can cut,
/// with two users and their conversation (one message in it).
struct proxied_server {
  proxied_server()
      : pg_port(require_env("PARLEY_TEST_PGPORT")),
        socket_name("/.s.PGSQL." + pg_port),
        proxy(dir.path + socket_name,
              require_env("PARLEY_TEST_PGHOST") + socket_name) {
    proxy.start();
    server = std::make_unique<server_process>(std::vector<std::string>{
      "--parley.db-url=" + db_url_through(dir.path, pg_port)});
    // The set-up is only meaningful if the server really goes through us.
    REQUIRE(proxy.accepted() > 0);
    client = std::make_unique<api>(server->port());
    alice = client->login(unique_name("alice"));
    bob = client->login(unique_name("bob"));
    id = client->start_conversation(alice, bob.username)["id"]
           .get<std::string>();
    client->send_message(alice, id, "before the outage");
  }

  std::string pg_port;
  std::string socket_name;
  temp_dir dir;
  unix_proxy proxy;
  // After the proxy: the server stops first, with the database up.
  std::unique_ptr<server_process> server;
  std::unique_ptr<api> client;
  user_session alice, bob;
  std::string id;
};

} // namespace

TEST_CASE("a database outage gives 503 and the server recovers when the "
          "database returns",
          "[integration][outage]") {
  proxied_server env;
  auto& client = *env.client;
  client.check_healthy();

  env.proxy.stop();
  check_outage_answers(client, *env.server, env.alice, env.id);

  env.proxy.start();
  REQUIRE(wait_for_recovery(client, env.alice, 8));
  client.check_healthy();
  CHECK(client.send_message(env.bob, env.id, "after the outage")["mine"]
        == true);
  auto stored = client.messages(env.alice, env.id);
  REQUIRE(stored.size() == 2); // nothing from the outage was half-stored
  CHECK(stored[0]["content"] == "after the outage");
  CHECK(stored[1]["content"] == "before the outage");
  CHECK(client.login(unique_name("dave")).id != env.alice.id);
  CHECK(env.server->running());
}

// A post is one autocommit statement, and a connection lost while it runs
// leaves its outcome unknown (503, never retried). A connection the database
// closed while idle (here: every connection cut, the database reachable again
// at once) must be noticed before the post is sent, so the post succeeds.
TEST_CASE("a post after the database closed an idle connection succeeds at "
          "once and is stored once",
          "[integration][outage]") {
  proxied_server env;
  auto& client = *env.client;
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    auto before = env.proxy.accepted();
    env.proxy.stop();
    env.proxy.start();
    auto content = "after cut " + std::to_string(round);
    auto reply = client.post("/api/conversations/" + env.id + "/messages",
                             {{"content", content}}, env.alice.token);
    REQUIRE(reply.status == 201);
    CHECK(env.proxy.accepted() > before); // it did reconnect
    auto stored = client.messages(env.bob, env.id);
    REQUIRE(stored.size() == static_cast<size_t>(round) + 2);
    CHECK(stored[0]["content"] == content);
  }
  CHECK(env.server->running());
}

// The same when PostgreSQL itself ends the connections (a restart, an
// administrator): each backend sends a FATAL message, then closes. The
// worker's first read sees only the message, so the close shows up while
// the post's statement is being prepared, before anything is sent: the post
// must be retried on a new connection, not answered 503.
TEST_CASE("a post after the database ended the server's connections succeeds "
          "at once and is stored once",
          "[integration][outage]") {
  auto name = "parley-terminate-" + std::to_string(getpid());
  server_process server{{"--parley.db-url="
                         + db_url_through(require_env("PARLEY_TEST_PGHOST"),
                                          require_env("PARLEY_TEST_PGPORT"))
                         + "&application_name=" + name}};
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id
    = client.start_conversation(alice, bob.username)["id"].get<std::string>();
  client.send_message(alice, id, "before");
  auto ours = "from pg_stat_activity where application_name = '" + name + "'";
  REQUIRE(std::stoi(psql_value("select count(*) " + ours)) > 0);
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    psql_value("select count(pg_terminate_backend(pid)) " + ours);
    // Bounded wait until every backend of ours has gone.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (psql_value("select count(*) " + ours) != "0"
           && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    REQUIRE(psql_value("select count(*) " + ours) == "0");
    auto content = "after termination " + std::to_string(round);
    auto reply = client.post("/api/conversations/" + id + "/messages",
                             {{"content", content}}, alice.token);
    REQUIRE(reply.status == 201);
    auto stored = client.messages(bob, id);
    REQUIRE(stored.size() == static_cast<size_t>(round) + 2);
    CHECK(stored[0]["content"] == content);
  }
  CHECK(server.running());
}
