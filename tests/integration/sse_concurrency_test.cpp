// Many streams, many posters at once: every stream gets exactly the events
// the server's 201 replies say it should, in seq order, once; and the inbox
// (a resume from 0) agrees with what the streams got live.

#include <chrono>
#include <memory>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "sse_client.hpp"
#include "sse_load.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr int user_count = 100;
constexpr int neighbours = 3; // 6 conversations a user, 300 in all
constexpr int poster_threads = 16;
constexpr int posts_per_thread = 128; // 2,048 messages

} // namespace

TEST_CASE("200 streams of 100 users get exactly their events while 16 "
          "connections post 2048 messages",
          "[integration][sse][load]") {
  server_process server;
  api client{server.port()};
  verbose("server up");
  auto world = load_world::ring(client, user_count, neighbours);
  verbose("users and conversations made");
  REQUIRE(world.conversations.size()
          == static_cast<std::size_t>(user_count * neighbours));

  // Two tabs a user: one plain, one with include_own (another device).
  std::vector<std::unique_ptr<sse_recorder>> recorders;
  stop_recorders stop_guard{recorders};
  std::vector<stream_record> records;
  for (int u = 0; u < user_count; ++u)
    for (bool own : {false, true}) {
      recorders.push_back(std::make_unique<sse_recorder>());
      auto response = recorders.back()->start(
        server.port(), world.users[static_cast<std::size_t>(u)].token,
        own ? "include_own=true" : "");
      INFO("stream of user " << u << ": " << response.status << " "
                             << response.body);
      REQUIRE(response.status == 200);
      records.push_back({u, own, 0, {}});
    }
  for (auto& recorder : recorders)
    REQUIRE(recorder->wait_last_event_id("0", 10s));
  CHECK(metric_value(server.port(), "parley_sse_open_streams")
        == static_cast<std::int64_t>(recorders.size()));

  verbose("streams open");
  std::atomic<std::uint16_t> port{server.port()};
  auto seed = std::random_device{}();
  INFO("poster seed " << seed);
  poster_pool posters{world, port, poster_threads, seed};
  posters.start(posts_per_thread);
  REQUIRE(posters.wait_done(120s));
  auto attempts = posters.attempts();
  verbose("posted " + std::to_string(attempts.size()));
  std::vector<std::string> failures;
  for (const auto& attempt : attempts)
    if (attempt.result != post_attempt::outcome::created)
      failures.push_back(std::to_string(attempt.status) + " " + attempt.error);
  INFO(summary(failures));
  REQUIRE(attempts.size()
          == static_cast<std::size_t>(poster_threads * posts_per_thread));
  REQUIRE(failures.empty());

  // Wait (bounded, one deadline for all) until every stream has all of
  // its messages; then a moment for any stray duplicate to show.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    wait_complete(world, attempts, *recorders[r], records[r].user,
                  records[r].include_own, std::max(left, 0ms));
  }
  verbose("streams complete");
  std::this_thread::sleep_for(300ms);
  std::int64_t received = 0;
  for (auto& recorder : recorders)
    recorder->request_stop();
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    recorders[r]->stop();
    records[r].events = recorders[r]->events();
    received += static_cast<std::int64_t>(records[r].events.size());
    INFO("user " << records[r].user << " include_own "
                 << records[r].include_own);
    CHECK(recorders[r]->error().empty());
    CHECK(recorders[r]->ends() == 0); // never cut
  }
  auto problems = check_streams(world, attempts, records);
  INFO(summary(problems));
  CHECK(problems.empty());
  // Each message reaches 3 streams: the receiver's two, the sender's own tab.
  CHECK(received == static_cast<std::int64_t>(3 * attempts.size()));
  CHECK(metric_value(server.port(), "parley_sse_events_delivered_total")
        >= received);

  verbose("checked " + std::to_string(received) + " events");
  // The inbox agrees: each user resuming from 0 on a fresh connection gets
  // what the plain tab got live, event for event.
  for (const auto& record : records) {
    if (record.include_own)
      continue;
    INFO("resume from 0 as user " << record.user);
    sse_client stream{server.port()};
    auto response
      = stream.connect(world.users[static_cast<std::size_t>(record.user)].token,
                       {}, std::string{"0"});
    REQUIRE(response.status == 200);
    auto replayed = stream.read_events(record.events.size(), 10s);
    REQUIRE(replayed.size() == record.events.size());
    for (std::size_t i = 0; i < replayed.size(); ++i) {
      REQUIRE(replayed[i].last_event_id == record.events[i].last_event_id);
      REQUIRE(replayed[i].data == record.events[i].data);
    }
    CHECK(stream.pending().empty());
  }
  verbose("resumed from 0");
}
