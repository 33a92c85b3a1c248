#include "sse_load.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>

namespace itest {

using json = nlohmann::json;

namespace {

// Unique per (thread, n) and already in normal form (single spaces, no
// blank lines), so the 201's content equals what was sent and an event of
// unknown outcome can be traced back to its attempt by content. Some carry
// what needs escaping in a one-line JSON data field.
std::string load_content(int thread, int n) {
  std::string text = "L" + std::to_string(thread) + "-" + std::to_string(n);
  if (n % 5 == 0)
    text += " \"quoted\" \\ ü €";
  if (n % 7 == 0)
    text += "\nsecond line";
  if (n % 11 == 0)
    text += " 😀 id: 1";
  return text;
}

std::string describe(const stream_record& record) {
  return "user " + std::to_string(record.user)
         + (record.include_own ? " (include_own)" : "");
}

struct content_index {
  explicit content_index(const std::vector<post_attempt>& attempts) {
    for (std::size_t i = 0; i < attempts.size(); ++i)
      by_content.emplace(attempts[i].content, static_cast<int>(i));
  }

  int find(const std::string& content) const {
    auto it = by_content.find(content);
    return it == by_content.end() ? -1 : it->second;
  }

  std::map<std::string, int> by_content;
};

bool belongs(const load_world& world, const post_attempt& attempt, int user,
             bool include_own) {
  return world.in(user, attempt.conversation)
         && (include_own || attempt.sender != user);
}

// attempt index -> (message id, seq) of what `record` received; events that
// do not trace back to an attempt are left out (check_stream reports them).
std::map<int, std::pair<std::string, std::int64_t>>
received(const content_index& index, const stream_record& record) {
  std::map<int, std::pair<std::string, std::int64_t>> out;
  for (const auto& event : record.events) {
    try {
      auto message = event.json();
      auto at = index.find(message.at("content").get<std::string>());
      if (at >= 0)
        out.emplace(
          at, std::make_pair(message.at("id").get<std::string>(), event.seq()));
    } catch (const std::exception&) {
      // reported by check_stream
    }
  }
  return out;
}

} // namespace

load_world load_world::ring(const api& client, int users, int neighbours) {
  load_world world;
  for (int i = 0; i < users; ++i)
    world.users.push_back(client.login(unique_name("load")));
  world.conversations_of.resize(static_cast<std::size_t>(users));
  std::set<std::pair<int, int>> pairs;
  for (int i = 0; i < users; ++i)
    for (int d = 1; d <= neighbours; ++d) {
      int j = (i + d) % users;
      if (j == i || !pairs.emplace(std::min(i, j), std::max(i, j)).second)
        continue;
      auto conversation = client.start_conversation(
        world.users[static_cast<std::size_t>(i)],
        world.users[static_cast<std::size_t>(j)].username);
      int index = static_cast<int>(world.conversations.size());
      world.conversations.push_back(
        {conversation.at("id").get<std::string>(), i, j});
      world.conversation_index[world.conversations.back().id] = index;
      world.conversations_of[static_cast<std::size_t>(i)].push_back(index);
      world.conversations_of[static_cast<std::size_t>(j)].push_back(index);
    }
  return world;
}

bool load_world::in(int user, int index) const {
  const auto& c = conversations.at(static_cast<std::size_t>(index));
  return c.a == user || c.b == user;
}

// --- poster_pool ---------------------------------------------------------

poster_pool::poster_pool(const load_world& world,
                         std::atomic<std::uint16_t>& port, int threads,
                         std::uint32_t seed)
    : world_(world), port_(port), threads_(threads), seed_(seed) {}

poster_pool::~poster_pool() {
  stop();
}

void poster_pool::start(int per_thread) {
  stop_ = false;
  running_ = threads_;
  for (int t = 0; t < threads_; ++t)
    workers_.emplace_back([this, t, per_thread] { run(t, per_thread); });
}

void poster_pool::stop() {
  stop_ = true;
  for (auto& worker : workers_)
    if (worker.joinable())
      worker.join();
  workers_.clear();
}

bool poster_pool::wait_done(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running_ > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  bool done = running_ == 0;
  stop();
  return done;
}

std::vector<post_attempt> poster_pool::attempts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return attempts_;
}

void poster_pool::run(int thread, int per_thread) {
  std::mt19937 rng{seed_ + static_cast<std::uint32_t>(thread) * 7919u};
  std::vector<int> owned;
  for (int u = 0; u < static_cast<int>(world_.users.size()); ++u)
    if (u % threads_ == thread
        && !world_.conversations_of[static_cast<std::size_t>(u)].empty())
      owned.push_back(u);
  for (int n = 0; n < per_thread && !owned.empty() && !stop_; ++n) {
    auto port = port_.load();
    while (port == 0 && !stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      port = port_.load();
    }
    if (stop_)
      break;
    post_attempt attempt;
    attempt.sender = owned[rng() % owned.size()];
    const auto& mine
      = world_.conversations_of[static_cast<std::size_t>(attempt.sender)];
    attempt.conversation = mine[rng() % mine.size()];
    attempt.content = load_content(thread, n);
    const auto& user = world_.users[static_cast<std::size_t>(attempt.sender)];
    const auto& id
      = world_.conversations[static_cast<std::size_t>(attempt.conversation)].id;
    try {
      auto response
        = request(port, "POST", "/api/conversations/" + id + "/messages",
                  json{{"content", attempt.content}}.dump(),
                  {{"Authorization", "Bearer " + user.token},
                   {"Content-Type", "application/json"}});
      attempt.status = response.status;
      if (response.status == 201) {
        attempt.result = post_attempt::outcome::created;
        attempt.body = response.json();
        ++created_;
      } else {
        attempt.result = post_attempt::outcome::rejected;
        attempt.error = response.body;
      }
    } catch (const std::exception& e) {
      attempt.error = e.what();
      // http_client's words for a failed connect: nothing was sent.
      attempt.result = attempt.error.rfind("connect to ", 0) == 0
                         ? post_attempt::outcome::not_sent
                         : post_attempt::outcome::unknown;
    }
    std::lock_guard<std::mutex> guard{mutex_};
    attempts_.push_back(std::move(attempt));
  }
  --running_;
}

// --- checks ----------------------------------------------------------------

namespace {

std::vector<std::string> check_stream(const load_world& world,
                                      const std::vector<post_attempt>& attempts,
                                      const content_index& index,
                                      const stream_record& record) {
  std::vector<std::string> problems;
  auto who = describe(record);
  std::int64_t last = record.start_seq;
  std::set<std::string> ids;
  std::set<int> got;
  for (std::size_t i = 0; i < record.events.size(); ++i) {
    const auto& event = record.events[i];
    auto where = who + " event #" + std::to_string(i) + " (id "
                 + event.last_event_id + "): ";
    if (event.type != "message") {
      problems.push_back(where + "type " + event.type + " " + event.data);
      continue;
    }
    std::int64_t seq = 0;
    json message;
    try {
      seq = event.seq();
      message = event.json();
    } catch (const std::exception& e) {
      problems.push_back(where + e.what());
      continue;
    }
    if (seq <= last)
      problems.push_back(where + "seq not increasing (after "
                         + std::to_string(last) + ")");
    else if (record.include_own && seq != last + 1)
      problems.push_back(where + "gap: seqs " + std::to_string(last + 1) + ".."
                         + std::to_string(seq - 1) + " missing");
    last = std::max(last, seq);
    if (!message.is_object() || !message.contains("content")
        || !message["content"].is_string() || !message.contains("id")) {
      problems.push_back(where + "not a Message: " + event.data);
      continue;
    }
    auto at = index.find(message["content"].get<std::string>());
    if (at < 0) {
      problems.push_back(where + "a message never attempted: " + event.data);
      continue;
    }
    const auto& attempt = attempts[static_cast<std::size_t>(at)];
    bool own = attempt.sender == record.user;
    if (!world.in(record.user, attempt.conversation))
      problems.push_back(
        where + "a message of someone else's conversation: " + event.data);
    if (message.value("conversationId", json{})
        != json(
          world.conversations[static_cast<std::size_t>(attempt.conversation)]
            .id))
      problems.push_back(where + "wrong conversationId: " + event.data);
    if (message.value("mine", json{}) != json(own))
      problems.push_back(where + "wrong mine: " + event.data);
    if (own && !record.include_own)
      problems.push_back(where + "own message on a stream without include_own");
    if (attempt.result == post_attempt::outcome::rejected)
      problems.push_back(where + "a message whose POST was answered "
                         + std::to_string(attempt.status)
                         + " arrived: " + event.data);
    if (attempt.result == post_attempt::outcome::not_sent)
      problems.push_back(where
                         + "a message whose connection was refused arrived: "
                         + event.data);
    if (attempt.result == post_attempt::outcome::created) {
      auto expected = attempt.body;
      expected["mine"] = own;
      if (message != expected)
        problems.push_back(where + "differs from the 201 body "
                           + attempt.body.dump() + ": " + event.data);
    }
    if (!ids.insert(message["id"].dump()).second || !got.insert(at).second)
      problems.push_back(where + "duplicate: " + event.data);
  }
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const auto& attempt = attempts[i];
    if (attempt.result == post_attempt::outcome::created
        && belongs(world, attempt, record.user, record.include_own)
        && got.count(static_cast<int>(i)) == 0)
      problems.push_back(who + ": missing created message "
                         + attempt.body.dump());
  }
  return problems;
}

std::vector<std::string>
check_world(const load_world& world, const std::vector<post_attempt>& attempts,
            const content_index& index,
            const std::vector<stream_record>& records) {
  std::vector<std::string> problems;
  std::vector<std::map<int, std::pair<std::string, std::int64_t>>> seen;
  for (const auto& record : records)
    seen.push_back(received(index, record));

  // One id per message everywhere; one seq per message per user.
  std::map<int, std::string> id_of;
  std::map<std::pair<int, int>, std::int64_t> seq_of; // (user, attempt) -> seq
  for (std::size_t r = 0; r < records.size(); ++r)
    for (const auto& [at, id_seq] : seen[r]) {
      auto [it, fresh] = id_of.emplace(at, id_seq.first);
      if (!fresh && it->second != id_seq.first)
        problems.push_back(
          "message '" + attempts[static_cast<std::size_t>(at)].content
          + "' has ids " + it->second + " and " + id_seq.first);
      auto [jt, new_seq]
        = seq_of.emplace(std::make_pair(records[r].user, at), id_seq.second);
      if (!new_seq && jt->second != id_seq.second)
        problems.push_back(describe(records[r]) + ": message " + id_seq.first
                           + " has seqs " + std::to_string(jt->second) + " and "
                           + std::to_string(id_seq.second) + " on two streams");
    }

  // A message of unknown outcome seen anywhere was committed: it belongs
  // on every stream it concerns.
  for (const auto& [at, id] : id_of) {
    const auto& attempt = attempts[static_cast<std::size_t>(at)];
    if (attempt.result != post_attempt::outcome::unknown)
      continue;
    for (std::size_t r = 0; r < records.size(); ++r)
      if (belongs(world, attempt, records[r].user, records[r].include_own)
          && seen[r].count(at) == 0)
        problems.push_back(
          describe(records[r]) + ": missing message " + id
          + " (POST without answer, but committed: others got it)");
  }

  // Both participants see a conversation's messages in the same order.
  std::map<int, std::vector<std::pair<std::int64_t, int>>> by_user; // seq order
  for (const auto& [key, seq] : seq_of)
    by_user[key.first].emplace_back(seq, key.second);
  for (auto& [user, list] : by_user)
    std::sort(list.begin(), list.end());
  for (std::size_t c = 0; c < world.conversations.size(); ++c) {
    const auto& conversation = world.conversations[c];
    std::vector<std::vector<int>> orders;
    for (int user : {conversation.a, conversation.b}) {
      std::vector<std::pair<std::int64_t, int>> by_seq;
      for (const auto& entry : by_user[user])
        if (attempts[static_cast<std::size_t>(entry.second)].conversation
            == static_cast<int>(c))
          by_seq.push_back(entry);
      std::vector<int> order;
      for (const auto& entry : by_seq)
        order.push_back(entry.second);
      orders.push_back(std::move(order));
    }
    // Compare on the messages both users' streams show.
    std::set<int> in_a(orders[0].begin(), orders[0].end());
    std::set<int> in_b(orders[1].begin(), orders[1].end());
    std::vector<int> a_common;
    std::vector<int> b_common;
    for (int at : orders[0])
      if (in_b.count(at))
        a_common.push_back(at);
    for (int at : orders[1])
      if (in_a.count(at))
        b_common.push_back(at);
    if (a_common != b_common)
      problems.push_back(
        "conversation " + conversation.id
        + ": the participants' streams order its messages differently");
  }
  return problems;
}

} // namespace

std::vector<std::string>
check_streams(const load_world& world,
              const std::vector<post_attempt>& attempts,
              const std::vector<stream_record>& records) {
  content_index index{attempts};
  std::vector<std::string> problems;
  for (const auto& record : records) {
    auto found = check_stream(world, attempts, index, record);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  auto across = check_world(world, attempts, index, records);
  problems.insert(problems.end(), across.begin(), across.end());
  return problems;
}

std::size_t expected_created(const load_world& world,
                             const std::vector<post_attempt>& attempts,
                             int user, bool include_own) {
  std::size_t n = 0;
  for (const auto& attempt : attempts)
    if (attempt.result == post_attempt::outcome::created
        && belongs(world, attempt, user, include_own))
      ++n;
  return n;
}

bool wait_complete(const load_world& world,
                   const std::vector<post_attempt>& attempts,
                   const sse_recorder& recorder, int user, bool include_own,
                   std::chrono::milliseconds timeout) {
  std::set<std::string> needed;
  for (const auto& attempt : attempts)
    if (attempt.result == post_attempt::outcome::created
        && belongs(world, attempt, user, include_own))
      needed.insert(attempt.content);
  std::size_t checked = 0; // events before this index are counted in `have`
  std::size_t have = 0;
  return recorder.wait_for(
    [&](const std::vector<sse_event>& events) {
      for (; checked < events.size(); ++checked) {
        auto message
          = nlohmann::json::parse(events[checked].data, nullptr, false);
        if (message.is_object() && message.contains("content")
            && message["content"].is_string()
            && needed.count(message["content"].get<std::string>()) != 0)
          ++have; // a duplicate counts twice here; check_stream reports it
      }
      return have >= needed.size();
    },
    timeout);
}

void verbose(const std::string& line) {
  static const bool on = std::getenv("PARLEY_TEST_VERBOSE") != nullptr;
  if (!on)
    return;
  static const auto start = std::chrono::steady_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - start)
              .count();
  std::fprintf(stderr, "[%6.2f s] %s\n", static_cast<double>(ms) / 1000.0,
               line.c_str());
}

std::string summary(const std::vector<std::string>& problems,
                    std::size_t limit) {
  std::ostringstream out;
  out << problems.size() << " problem(s)";
  for (std::size_t i = 0; i < problems.size() && i < limit; ++i)
    out << "\n  " << problems[i];
  if (problems.size() > limit)
    out << "\n  … and " << problems.size() - limit << " more";
  return out.str();
}

} // namespace itest
