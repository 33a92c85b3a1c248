// Streams across a server restart: messages flow, the server stops (SIGTERM,
// or a SIGKILL crash) mid-flow, a new server starts on the same database,
// every stream resumes with its last id, and in the end each stream holds
// every created message exactly once, in seq order.
//
// A POST cut by the stop has an unknown outcome (it may have committed), so
// the checks are: every 201 arrived; nothing arrived twice; nothing arrived
// that was never attempted or was answered with an error; seqs strictly
// increase (gap-free on include_own streams); and a message of unknown
// outcome that reached one stream reached every stream it belongs on.

#include <chrono>
#include <csignal>
#include <memory>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "sse_client.hpp"
#include "sse_load.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr int user_count = 16;
constexpr int neighbours = 2; // 4 conversations a user
constexpr int poster_threads = 4;
constexpr std::size_t messages_per_phase = 150;

/// Waits (bounded) until the posters have `count` 201s.
bool wait_created(const poster_pool& posters, std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (posters.created() < count
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  return posters.created() >= count;
}

void restart_mid_flow(bool crash) {
  auto server = std::make_unique<server_process>();
  api client{server->port()};
  auto world = load_world::ring(client, user_count, neighbours);

  std::vector<std::unique_ptr<sse_recorder>> recorders;
  stop_recorders stop_guard{recorders};
  std::vector<stream_record> records;
  std::vector<std::string> queries;
  for (int u = 0; u < user_count; ++u)
    for (bool own : {false, true}) {
      recorders.push_back(std::make_unique<sse_recorder>());
      queries.push_back(own ? "include_own=true" : "");
      auto response = recorders.back()->start(
        server->port(), world.users[static_cast<std::size_t>(u)].token,
        queries.back());
      REQUIRE(response.status == 200);
      records.push_back({u, own, 0, {}});
    }
  for (auto& recorder : recorders)
    REQUIRE(recorder->wait_last_event_id("0", 10s));

  std::atomic<std::uint16_t> port{server->port()};
  auto seed = std::random_device{}();
  INFO("poster seed " << seed);
  poster_pool posters{world, port, poster_threads, seed};
  posters.start(1000000); // until stopped
  REQUIRE(wait_created(posters, messages_per_phase));

  // The stop, while the posters keep posting.
  if (crash) {
    CHECK(server->kill_hard() == -SIGKILL);
  } else {
    auto status = server->stop();
    INFO(
      "server stdout (tail): " << server->output().substr(
        server->output().size() > 3000 ? server->output().size() - 3000 : 0));
    CHECK(status == 0);
  }
  port = 0; // posters wait for the next server
  auto created_before = posters.created();
  verbose(std::string{crash ? "killed" : "stopped"} + " after "
          + std::to_string(created_before) + " created");
  std::size_t received_before = 0;
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    INFO("stream " << r << " of user " << records[r].user);
    REQUIRE(recorders[r]->wait_ended(15s));
    // A graceful stop closes streams cleanly (FIN), it does not reset them.
    if (!crash)
      CHECK(recorders[r]->end_reason() == "eof");
    CHECK(recorders[r]->error().empty());
    received_before += recorders[r]->count();
  }
  CHECK(received_before > 0);

  server = std::make_unique<server_process>();
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    auto cursor = recorders[r]->last_event_id();
    INFO("stream " << r << " resumes from '" << cursor << "'");
    REQUIRE(!cursor.empty());
    auto response = recorders[r]->start(
      server->port(),
      world.users[static_cast<std::size_t>(records[r].user)].token, queries[r],
      cursor);
    INFO(response.status << " " << response.body);
    REQUIRE(response.status == 200);
  }
  port = server->port();
  REQUIRE(wait_created(posters, created_before + messages_per_phase));
  posters.stop();
  auto attempts = posters.attempts();

  std::size_t unknown = 0;
  std::size_t refused = 0;
  std::size_t rejected = 0;
  std::vector<std::string> rejections;
  for (const auto& attempt : attempts) {
    unknown += attempt.result == post_attempt::outcome::unknown;
    refused += attempt.result == post_attempt::outcome::not_sent;
    if (attempt.result == post_attempt::outcome::rejected) {
      ++rejected;
      rejections.push_back(std::to_string(attempt.status) + " "
                           + attempt.error);
    }
  }
  // Both kinds are allowed (the checks below account for them); listed for
  // the report.
  verbose(std::to_string(attempts.size()) + " attempts, "
          + std::to_string(posters.created()) + " created, "
          + std::to_string(unknown) + " without answer, "
          + std::to_string(refused) + " refused, " + std::to_string(rejected)
          + " rejected");
  INFO(attempts.size() << " attempts, " << posters.created() << " created, "
                       << unknown << " without answer, " << refused
                       << " refused, " << rejected
                       << " rejected: " << summary(rejections, 5));

  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    wait_complete(world, attempts, *recorders[r], records[r].user,
                  records[r].include_own, std::max(left, 0ms));
  }
  std::this_thread::sleep_for(300ms); // room for a stray duplicate to show
  std::size_t received_after = 0;
  for (auto& recorder : recorders)
    recorder->request_stop();
  for (std::size_t r = 0; r < recorders.size(); ++r) {
    recorders[r]->stop();
    records[r].events = recorders[r]->events();
    received_after += records[r].events.size();
    INFO("stream " << r << " of user " << records[r].user);
    CHECK(recorders[r]->error().empty());
    CHECK(recorders[r]->connections() == 2);
    CHECK(recorders[r]->ends() == 1); // only the stop ended it
  }
  CHECK(received_after > received_before);
  verbose("events before the stop " + std::to_string(received_before)
          + ", in all " + std::to_string(received_after));

  auto problems = check_streams(world, attempts, records);
  INFO(summary(problems));
  CHECK(problems.empty());

  std::set<std::string> arrived;
  for (const auto& record : records)
    for (const auto& event : record.events)
      arrived.insert(event.data.substr(event.data.find("\"content\"")));
  std::size_t committed_unknown = 0;
  for (const auto& attempt : attempts)
    if (attempt.result == post_attempt::outcome::unknown)
      for (const auto& data : arrived)
        if (data.find(nlohmann::json(attempt.content).dump())
            != std::string::npos) {
          ++committed_unknown;
          break;
        }
  verbose(std::to_string(committed_unknown)
          + " of the unanswered POSTs had committed");
}

} // namespace

TEST_CASE("after a SIGTERM restart mid-flow every stream resumes and gets "
          "every message exactly once",
          "[integration][sse][restart]") {
  restart_mid_flow(false);
}

TEST_CASE("after a SIGKILL crash mid-flow and a restart every stream resumes "
          "and gets every message exactly once",
          "[integration][sse][restart]") {
  restart_mid_flow(true);
}
