// /metrics (SPEC §7) against a real server: requests by route, method and
// status, request and statement latency, group commits, mailbox gauges.

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "sse_client.hpp"
#include "token_forge.hpp"

using namespace itest;

namespace {

std::string requests(const std::string& route, const std::string& method,
                     int status) {
  return "parley_http_requests_total{route=\"" + route + "\",method=\"" + method
         + "\",status=\"" + std::to_string(status) + "\"}";
}

std::string timed(const std::string& route, const std::string& method) {
  return "parley_http_request_duration_seconds_count{route=\"" + route
         + "\",method=\"" + method + "\"}";
}

} // namespace

TEST_CASE("/metrics counts each request by route, method and status",
          "[integration][metrics]") {
  server_process server;
  api client{server.port()};
  auto port = server.port();
  auto alice = client.login(unique_name("alice"));
  auto conv = client.conversation_with_new_user(alice); // a second login
  auto messages = "/api/conversations/" + conv + "/messages";
  client.send_message(alice, conv, "hello");
  check_error(client.post(messages, {{"content", "   "}}, alice.token), 422);
  check_error(client.post(messages, {{"content", "hi"}}), 401);
  check_error(client.get("/api/nowhere", alice.token), 404);
  check_error(client.send("DELETE", "/api/login"), 405);

  CHECK(metric_value(port, requests("/api/login", "POST", 200)) == 2);
  CHECK(metric_value(port,
                     requests("/api/conversations/{id}/messages", "POST", 201))
        == 1);
  CHECK(metric_value(port,
                     requests("/api/conversations/{id}/messages", "POST", 422))
        == 1);
  CHECK(metric_value(port,
                     requests("/api/conversations/{id}/messages", "POST", 401))
        == 1);
  CHECK(metric_value(port, requests("(unmatched)", "(any)", 404)) == 1);
  CHECK(metric_value(port, requests("(unmatched)", "(any)", 405)) == 1);
  // Every answered request is timed.
  CHECK(metric_value(port, timed("/api/conversations/{id}/messages", "POST"))
        == 3);
  CHECK(metric_value(port, timed("/api/login", "POST")) == 2);
}

TEST_CASE("/metrics counts event streams by status, and times only those "
          "refused before they start",
          "[integration][metrics][sse]") {
  server_process server;
  api client{server.port()};
  auto port = server.port();
  auto alice = client.login(unique_name("alice"));
  {
    sse_client open{port};
    REQUIRE(open.connect(alice.token).status == 200);
    // A valid token whose user does not exist: the stream actor's first
    // read refuses it, after the request was handed over.
    auto now = unix_now();
    sse_client ghost{port};
    CHECK(ghost.connect(forge_token("999999999999", now, now + 600)).status
          == 401);
    sse_client no_token{port};
    CHECK(no_token.connect("").status == 401);
  }
  CHECK(metric_value(port, requests("/api/messages", "GET", 200)) == 1);
  CHECK(metric_value(port, requests("/api/messages", "GET", 401)) == 2);
  // Only the 401 answered before the stream started has a latency.
  CHECK(metric_value(port, timed("/api/messages", "GET")) == 1);
  // Each stream that passed the token check read its inbox, one after the
  // other: each read alone.
  CHECK(metric_value(port, "parley_db_replay_batches_total") == 2);
  CHECK(metric_value(port, "parley_db_replays_batched_total") == 2);
  CHECK(metric_value(port, "parley_db_statement_duration_seconds_count{"
                           "statement=\"replay\"}")
        == 2);
}

TEST_CASE("/metrics has database statement latency, group commits and the "
          "broker's and database workers' mailbox sizes",
          "[integration][metrics]") {
  server_process server{{"--parley.db-pool-size=3", "--parley.db-writers=1"}};
  api client{server.port()};
  auto port = server.port();
  auto alice = client.login(unique_name("alice"));
  auto conv = client.conversation_with_new_user(alice);
  client.send_message(alice, conv, "one");
  client.send_message(alice, conv, "two");

  auto statement = [&](const std::string& name) {
    return metric_value(
      port,
      "parley_db_statement_duration_seconds_count{statement=\"" + name + "\"}");
  };
  CHECK(statement("login") == 2);
  CHECK(statement("msg_post") == 2);
  CHECK(statement("conv_new") == 1);
  // Sequential posts: each its own group commit.
  CHECK(metric_value(port, "parley_db_post_batches_total") == 2);
  CHECK(metric_value(port, "parley_db_posts_batched_total") == 2);
  // A bucket holds every observation at or below its bound: the +Inf one
  // holds all of them.
  CHECK(metric_value(port, "parley_db_statement_duration_seconds_bucket{"
                           "statement=\"msg_post\",le=\"+Inf\"}")
        == 2);
  // The gauges exist for the broker and each worker, with its role; idle
  // now, nothing is queued. (That they record a real queue is not tested:
  // catching one here would race the worker.)
  CHECK(metric_value(port, "parley_actor_mailbox_messages{actor=\"broker\"}")
        == 0);
  CHECK(metric_value(port, "parley_actor_mailbox_messages{actor=\"db\","
                           "worker=\"0\",role=\"writer\"}")
        == 0);
  CHECK(metric_value(port, "parley_actor_mailbox_messages{actor=\"db\","
                           "worker=\"2\",role=\"reader\"}")
        == 0);
  auto text = client.get("/metrics").body;
  CHECK(text.find("worker=\"3\"") == std::string::npos);
  CHECK(text.find("# TYPE parley_db_statement_duration_seconds histogram")
        != std::string::npos);
}
