// Races the database must settle: one conversation per pair, and messages
// sent at the same time all stored once.

#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "token_forge.hpp"

using namespace itest;

namespace {

/// Holds every worker until all are ready, so their requests overlap.
class start_gate {
public:
  void wait() {
    std::unique_lock<std::mutex> lock{mutex_};
    opened_.wait(lock, [this] { return open_; });
  }

  void open() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      open_ = true;
    }
    opened_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

/// What one worker saw. Workers never use Catch2 macros (not thread-safe);
/// the test thread checks these afterwards.
struct outcome {
  int status = 0;
  std::string id;
  std::string error;
};

// The contents of the conversation's messages as `as` lists them.
std::set<std::string> stored_contents(const api& client, const user_session& as,
                                      const std::string& id) {
  std::set<std::string> contents;
  for (const auto& m : client.messages(as, id))
    contents.insert(m["content"].get<std::string>());
  return contents;
}

// Runs `work(i)` on `count` threads released together; joins them all.
std::vector<outcome> race(int count,
                          const std::function<http_response(int)>& work) {
  std::vector<outcome> outcomes(static_cast<std::size_t>(count));
  start_gate gate;
  std::vector<std::thread> workers;
  for (int i = 0; i < count; ++i)
    workers.emplace_back([&, i] {
      auto& out = outcomes[static_cast<std::size_t>(i)];
      gate.wait();
      try {
        auto response = work(i);
        out.status = response.status;
        auto body = nlohmann::json::parse(response.body, nullptr, false);
        if (body.is_object() && body.contains("id") && body["id"].is_string())
          out.id = body["id"].get<std::string>();
      } catch (const std::exception& e) {
        out.error = e.what();
      }
    });
  gate.open();
  for (auto& worker : workers)
    worker.join();
  return outcomes;
}

} // namespace

TEST_CASE("concurrent creates of one pair's conversation yield exactly one "
          "conversation",
          "[integration][concurrency]") {
  server_process server;
  api client{server.port()};
  // A few fresh pairs: one race may be won by luck, several rarely are.
  for (int round = 0; round < 4; ++round) {
    auto alice = client.login(unique_name("alice"));
    auto bob = client.login(unique_name("bob"));
    auto outcomes = race(16, [&](int i) {
      const auto& from = i % 2 == 0 ? alice : bob;
      const auto& to = i % 2 == 0 ? bob : alice;
      return client.post("/api/conversations", {{"username", to.username}},
                         from.token);
    });
    std::map<int, int> statuses;
    std::set<std::string> ids;
    for (const auto& out : outcomes) {
      INFO("round " << round << " error: " << out.error);
      CHECK(out.error.empty());
      ++statuses[out.status];
      ids.insert(out.id);
    }
    INFO("round " << round);
    CHECK(statuses == std::map<int, int>{{200, 15}, {201, 1}});
    REQUIRE(ids.size() == 1);
    auto id = *ids.begin();
    CHECK(is_id(json(id)));
    // The one conversation is the one both sides see.
    client.send_message(bob, id, "after the race");
    auto listed = client.conversations(alice);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == id);
  }
}

TEST_CASE("concurrent messages in one conversation are each stored once",
          "[integration][concurrency]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto bob = client.login(unique_name("bob"));
  auto id
    = client.start_conversation(alice, bob.username)["id"].get<std::string>();
  auto outcomes = race(20, [&](int i) {
    const auto& from = i % 2 == 0 ? alice : bob;
    return client.post("/api/conversations/" + id + "/messages",
                       {{"content", "m" + std::to_string(i)}}, from.token);
  });
  std::set<std::string> ids;
  for (const auto& out : outcomes) {
    INFO("error: " << out.error);
    CHECK(out.status == 201);
    ids.insert(out.id);
  }
  CHECK(ids.size() == 20);

  auto stored = client.messages(alice, id);
  REQUIRE(stored.size() == 20);
  std::set<std::string> contents;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    auto content = stored[i]["content"].get<std::string>();
    contents.insert(content);
    // Even-numbered messages were alice's.
    CHECK(stored[i]["mine"] == (std::stoi(content.substr(1)) % 2 == 0));
    CHECK(ids.count(stored[i]["id"].get<std::string>()) == 1);
    if (i > 0)
      CHECK(id_number(stored[i]["id"]) < id_number(stored[i - 1]["id"]));
  }
  CHECK(contents.size() == 20);
}

TEST_CASE("an outsider's posts racing a pair's posts are refused and change "
          "nothing, and the pair's are stored verbatim",
          "[integration][concurrency]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  const auto& alice = pair.alice;
  const auto& bob = pair.bob;
  const auto& id = pair.id;
  auto carol = client.login(unique_name("carol"));
  // Posts that arrive together are saved together; contents that need
  // quoting in a batch must come back exactly as sent.
  const std::vector<std::string> tricky{R"(say "hi")",
                                        R"(C:\dir\)",
                                        "{a,b}",
                                        "NULL",
                                        "line one\nline two",
                                        "ünïcödé ✓",
                                        "'; DROP TABLE messages; --",
                                        R"(\"{}\")"};
  auto outcomes = race(30, [&](int i) {
    const auto& from = i % 3 == 0 ? alice : i % 3 == 1 ? bob : carol;
    auto content = tricky[static_cast<std::size_t>(i) % tricky.size()] + " #"
                   + std::to_string(i);
    return client.post("/api/conversations/" + id + "/messages",
                       {{"content", content}}, from.token);
  });
  std::set<std::string> expected;
  std::string newest;
  for (int i = 0; i < 30; ++i) {
    const auto& out = outcomes[static_cast<std::size_t>(i)];
    INFO("post " << i << " error: " << out.error);
    CHECK(out.status == (i % 3 == 2 ? 404 : 201));
    if (i % 3 != 2) {
      expected.insert(tricky[static_cast<std::size_t>(i) % tricky.size()] + " #"
                      + std::to_string(i));
      if (newest.empty() || id_number(json(out.id)) > id_number(json(newest)))
        newest = out.id;
    }
  }
  CHECK(stored_contents(client, alice, id) == expected);
  // The conversation's last message is the newest of the race; the
  // outsider still has no conversation.
  auto listed = client.conversations(bob);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["lastMessage"]["id"] == newest);
  CHECK(client.conversations(carol).empty());
}

TEST_CASE("posts with the token of a user that does not exist, racing a "
          "pair's posts, get 401 and store nothing",
          "[integration][concurrency]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  // Well signed, but its user was never created (or was deleted).
  auto ghost = forge_token("999999999999999", now, now + 3600);
  auto outcomes = race(20, [&](int i) {
    const auto& token = i % 2 == 0 ? pair.alice.token : ghost;
    return client.post("/api/conversations/" + pair.id + "/messages",
                       {{"content", "m" + std::to_string(i)}}, token);
  });
  for (int i = 0; i < 20; ++i) {
    const auto& out = outcomes[static_cast<std::size_t>(i)];
    INFO("post " << i << " error: " << out.error);
    CHECK(out.status == (i % 2 == 0 ? 201 : 401));
  }
  std::set<std::string> expected;
  for (int i = 0; i < 20; i += 2)
    expected.insert("m" + std::to_string(i));
  CHECK(stored_contents(client, pair.bob, pair.id) == expected);
}
