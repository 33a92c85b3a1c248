// A statement that waits (here for a row lock a test session holds, as for
// a hung database) is cancelled after parley.db-statement-timeout: the
// request gets 503, the worker serves on, and a stop meanwhile still ends
// with exit status 0.

#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "psql.hpp"
#include "server_process.hpp"
#include "shapes.hpp"

using namespace itest;

namespace {

/// Alice, Bob and their conversation with one message; `lock` then holds
/// Bob's participants row, so his next read of the conversation (which
/// moves his read cursor) waits.
struct locked_reader {
  explicit locked_reader(server_process& server)
      : client(server.port()),
        alice(client.login(unique_name("alice"))),
        bob(client.login(unique_name("bob"))),
        id(client.start_conversation(alice, bob.username)["id"]
             .get<std::string>()),
        holder("parley_wait_" + bob.id),
        lock(holder) {
    client.send_message(alice, id, "hello");
    lock.send("BEGIN; SELECT 1 FROM participants WHERE user_id = " + bob.id
              + " AND conversation_id = " + id + " FOR UPDATE;");
    REQUIRE(wait_for_session(holder, "FOR UPDATE"));
  }

  /// Whether some backend waits for the lock's holder.
  bool someone_waits() const {
    return wait_for_blocked_by(holder);
  }

  std::string messages() const {
    return "/api/conversations/" + id + "/messages";
  }

  api client;
  user_session alice, bob;
  std::string id;
  std::string holder;
  psql_session lock;
};

} // namespace

TEST_CASE("a statement waiting past the statement timeout is cancelled: 503, "
          "and the worker serves on",
          "[integration][outage]") {
  server_process server{{"--parley.db-statement-timeout=1s"}};
  locked_reader env{server};
  auto stuck = env.client.get(env.messages(), env.bob.token);
  check_error(stuck, 503);
  CHECK(stuck.header("Retry-After") == "1");
  // Cancelled by the timeout, not answered by the 10 s request deadline.
  CHECK(server.logged("msg_list: cancelled"));
  // The lock still held, others are served.
  CHECK(env.client.get(env.messages(), env.alice.token).status == 200);
  env.lock.send("COMMIT;");
  auto read = env.client.messages(env.bob, env.id);
  REQUIRE(read.size() == 1);
  CHECK(read[0]["content"] == "hello");
}

TEST_CASE("a stop while a statement waits for a lock still exits with status "
          "0, and the waiting request gets 503",
          "[integration][outage]") {
  server_process server{{"--parley.db-statement-timeout=2s"}};
  locked_reader env{server};
  int status = -1;
  std::string failure;
  std::thread reader{[&] {
    try {
      status = env.client.get(env.messages(), env.bob.token).status;
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }};
  release_and_join guard{env.lock, reader};
  CHECK(env.someone_waits());
  // Without the timeout the stop waits for the statement as long as the
  // lock is held: stop() gives up after 10 s and kills (status -9).
  auto stopped = server.stop();
  reader.join();
  INFO("server log:\n" << server.output()); // for a failure's report
  CHECK(stopped == 0);
  CHECK(failure.empty());
  CHECK(status == 503);
}
