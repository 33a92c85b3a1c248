// The event stream (GET /api/messages, SPEC §5) through a real SSE client:
// headers, live delivery with inbox seqs, include_own, several tabs, auth
// and Accept errors, heartbeats, resume, reset and the slow-consumer cut.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "server_process.hpp"
#include "shapes.hpp"
#include "sse_client.hpp"
#include "sse_load.hpp" // verbose()
#include "sse_open.hpp"
#include "token_forge.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr auto event_wait = 10s;

/// The next event; REQUIREs one within the wait.
sse_event next(sse_client& stream) {
  auto event = stream.next_event(event_wait);
  INFO("no event within 10 s; ended: " << stream.ended() << " "
                                       << stream.end_reason());
  REQUIRE(event);
  return *event;
}

/// CHECKs that `event` is message `sent` (a 201 body) at inbox seq `seq`,
/// as seen by a receiver for whom `mine` holds.
void check_event(const sse_event& event, const json& sent, std::int64_t seq,
                 bool mine) {
  INFO("event type " << event.type << " id " << event.last_event_id << " data "
                     << event.data);
  CHECK(event.type == "message");
  CHECK(event.last_event_id == std::to_string(seq));
  // One data line: a second one would have been joined with LF.
  CHECK(event.data.find('\n') == std::string::npos);
  auto got = event.json();
  check_message(got, mine);
  auto expected = sent;
  expected["mine"] = mine;
  CHECK(got == expected);
}

json post_message(const api& client, const user_session& from,
                  const std::string& conversation, const std::string& content) {
  return client.send_message(from, conversation, content);
}

/// CHECKs an `event: reset` that moves the cursor to `newest`.
void check_reset(const sse_event& event, std::int64_t newest) {
  INFO("event type " << event.type << " id " << event.last_event_id << " data "
                     << event.data);
  CHECK(event.type == "reset");
  CHECK(event.last_event_id == std::to_string(newest));
  CHECK(event.json() == json{{"lastEventId", std::to_string(newest)}});
}

/// Polls /metrics until `name` satisfies `ok` (bounded); its last value.
std::int64_t wait_metric(std::uint16_t port, const std::string& name,
                         const std::function<bool(std::int64_t)>& ok,
                         std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto value = metric_value(port, name);
  while (!ok(value) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    value = metric_value(port, name);
  }
  return value;
}

} // namespace

TEST_CASE(
  "the SSE test client parses the event-stream format by the WHATWG rules",
  "[integration][sse]") {
  sse_parser parser;
  // A BOM, retry, a comment and a blank line: no event.
  parser.feed("\xEF\xBB\xBFretry: 2000\n: hello\n\n");
  CHECK(parser.retry_ms() == 2000);
  REQUIRE(parser.comments().size() == 1);
  CHECK(parser.comments()[0] == " hello");
  CHECK(parser.heartbeats() == 0);
  CHECK(parser.events().empty());
  // An id-only block sets lastEventId without an event.
  parser.feed("id: 7\n\n");
  CHECK(parser.last_event_id() == "7");
  CHECK(parser.events().empty());
  // Line ends CRLF, CR and LF; one optional space after the colon.
  parser.feed("data: a\r\ndata:b\rdata:  c\n\n");
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().type == "message");
  CHECK(parser.events().front().data == "a\nb\n c");
  CHECK(parser.events().front().last_event_id == "7"); // kept from before
  parser.events().clear();
  // A named event with its own id.
  parser.feed("event: reset\nid: 9\ndata: {}\n\n");
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().type == "reset");
  CHECK(parser.events().front().last_event_id == "9");
  parser.events().clear();
  // CRLF split across reads is one line end; bytes split anywhere.
  parser.feed("da");
  parser.feed("ta: x\r");
  parser.feed("\n");
  CHECK(parser.events().empty());
  parser.feed("\r\n");
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().data == "x");
  parser.events().clear();
  // Heartbeats; an event type without data fires nothing and is forgotten.
  parser.feed(":\n\n:\n\nevent: x\n\ndata: y\n\n");
  CHECK(parser.heartbeats() == 2);
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().type == "message");
  parser.events().clear();
  // A field without a colon: `data` alone fires an empty event, `id`
  // alone clears the id. Bad retry, NUL in id, unknown fields: ignored.
  parser.feed("data\n\n");
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().data.empty());
  parser.events().clear();
  static constexpr char with_nul[]
    = "retry: 12x\nid: a\0b\nfoo: bar\ndata: z\n\n";
  parser.feed(std::string{with_nul, sizeof with_nul - 1});
  CHECK(parser.retry_ms() == 2000);
  REQUIRE(parser.events().size() == 1);
  CHECK(parser.events().front().last_event_id == "9");
  parser.events().clear();
  parser.feed("id\n\n");
  CHECK(parser.last_event_id().empty());
  // An unterminated block is never dispatched.
  parser.feed("data: incomplete\n");
  CHECK(parser.events().empty());
  CHECK(parser.fired() == 6);
}

TEST_CASE("a stream opens at once with the event-stream headers and the user's "
          "current seq",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  CHECK(metric_value(server.port(), "parley_sse_open_streams") == 0);

  SECTION("a user with an empty inbox starts at 0") {
    sse_client stream{server.port()};
    open_fresh(stream, pair.bob, 0);
  }
  SECTION("a user with messages starts at the newest seq") {
    post_message(client, pair.alice, pair.id, "one");
    post_message(client, pair.alice, pair.id, "two");
    post_message(client, pair.bob, pair.id, "three");
    sse_client stream{server.port()};
    auto response = stream.connect(pair.bob.token);
    REQUIRE(response.status == 200);
    CHECK(response.header("Content-Type")
          == "text/event-stream; charset=utf-8");
    CHECK(response.header("Cache-Control") == "no-cache, no-store");
    CHECK(response.header("X-Accel-Buffering") == "no");
    CHECK(!response.header("X-Request-Id").empty());
    CHECK(!response.has_header("Content-Length"));
    CHECK(!response.has_header("Content-Encoding"));
    // The retry line and the comment come at once, before any event.
    REQUIRE(stream.wait_until(
      [&] {
        return stream.parser().retry_ms().has_value()
               && stream.parser().comment_count() >= 1;
      },
      event_wait));
    CHECK(stream.parser().retry_ms() == 2000); // sse-retry defaults to 2s
    CHECK(stream.parser().comments().at(0) == " parley event stream");
    REQUIRE(stream.wait_until([&] { return stream.last_event_id() == "3"; },
                              event_wait));
    CHECK(stream.pending().empty());
    CHECK(wait_metric(server.port(), "parley_sse_open_streams",
                      [](std::int64_t n) { return n == 1; })
          == 1);
    CHECK(metric_value(server.port(), "parley_sse_streams_total") >= 1);
    stream.close();
    // The server notices the client went away.
    CHECK(wait_metric(server.port(), "parley_sse_open_streams",
                      [](std::int64_t n) { return n == 0; })
          == 0);
  }
}

TEST_CASE("the receiver's stream gets a message with its inbox seq and the "
          "sender's stream does not",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  sse_client alice_stream{server.port()};
  sse_client bob_stream{server.port()};
  open_fresh(alice_stream, pair.alice, 0);
  open_fresh(bob_stream, pair.bob, 0);
  auto delivered_before
    = metric_value(server.port(), "parley_sse_events_delivered_total");

  // Newlines, quotes, non-ASCII and a would-be SSE line stay inside one
  // JSON data line.
  auto first = post_message(client, pair.alice, pair.id,
                            "hello \"bob\"\nid: 999\n\ndata: x ü 😀");
  CHECK(first["content"] == "hello \"bob\"\nid: 999\ndata: x ü 😀");
  check_event(next(bob_stream), first, 1, false);

  // Alice's inbox: 1 is her own message, 2 is bob's reply; her stream
  // skips 1. Bob's inbox: 2 is his own; his next event is seq 3.
  auto reply = post_message(client, pair.bob, pair.id, "hi alice");
  auto third = post_message(client, pair.alice, pair.id, "third");
  check_event(next(alice_stream), reply, 2, false);
  check_event(next(bob_stream), third, 3, false);
  CHECK(bob_stream.last_event_id() == "3");
  CHECK(alice_stream.pending().empty());
  CHECK(wait_metric(server.port(), "parley_sse_events_delivered_total",
                    [&](std::int64_t n) { return n >= delivered_before + 3; })
        >= delivered_before + 3);

  // A third user's stream hears nothing of this conversation.
  auto carol = client.login(unique_name("carol"));
  sse_client carol_stream{server.port()};
  open_fresh(carol_stream, carol, 0);
  auto fourth = post_message(client, pair.alice, pair.id, "fourth");
  check_event(next(bob_stream), fourth, 4, false);
  auto carol_conversation
    = client.start_conversation(carol, pair.alice.username)
        .at("id")
        .get<std::string>();
  auto to_carol
    = post_message(client, pair.alice, carol_conversation, "carol only");
  check_event(next(carol_stream), to_carol, 1, false); // and nothing before it
  // Alice's own messages never reached her stream, bob's did.
  auto from_bob = post_message(client, pair.bob, pair.id, "last");
  check_event(next(alice_stream), from_bob, 6, false);
}

TEST_CASE("an include_own stream also carries the user's own messages with "
          "mine true",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  sse_client own{server.port()};
  sse_client plain{server.port()};
  sse_client explicit_false{server.port()};
  open_fresh(own, pair.alice, 0, "include_own=true");
  open_fresh(plain, pair.alice, 0);
  open_fresh(explicit_false, pair.alice, 0, "include_own=false");

  auto mine = post_message(client, pair.alice, pair.id, "from alice");
  auto theirs = post_message(client, pair.bob, pair.id, "from bob");
  auto mine_again = post_message(client, pair.alice, pair.id, "alice again");
  auto last = post_message(client, pair.bob, pair.id, "bob again");
  check_event(next(own), mine, 1, true);
  check_event(next(own), theirs, 2, false);
  check_event(next(own), mine_again, 3, true);
  check_event(next(own), last, 4, false);
  for (auto* stream : {&plain, &explicit_false}) {
    check_event(next(*stream), theirs, 2, false);
    check_event(next(*stream), last, 4, false);
  }
}

TEST_CASE("every open stream of one user gets every event",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  sse_client tab1{server.port()};
  sse_client tab2{server.port()};
  sse_client tab3{server.port()};
  open_fresh(tab1, pair.bob, 0);
  open_fresh(tab2, pair.bob, 0);
  open_fresh(tab3, pair.bob, 0, "include_own=true");
  std::vector<json> sent;
  for (int i = 0; i < 5; ++i)
    sent.push_back(
      post_message(client, pair.alice, pair.id, "m" + std::to_string(i)));
  for (auto* tab : {&tab1, &tab2, &tab3})
    for (int i = 0; i < 5; ++i)
      check_event(next(*tab), sent[static_cast<std::size_t>(i)], i + 1, false);
  // One tab closing does not disturb the others.
  tab2.close();
  auto after = post_message(client, pair.alice, pair.id, "after a tab closed");
  check_event(next(tab1), after, 6, false);
  check_event(next(tab3), after, 6, false);
}

TEST_CASE("a stream without a valid token gets 401 JSON before any stream byte",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  auto now = unix_now();
  auto open_with = [&](const header_list& headers, const std::string& target) {
    sse_client stream{server.port()};
    auto response = stream.open(target, headers);
    INFO("target " << target);
    check_error(response, 401);
    CHECK(response.header("Content-Type").find("text/event-stream")
          == std::string::npos);
    return response;
  };
  header_list accept{{"Accept", "text/event-stream"}};
  auto with_bearer = [&](const std::string& token) {
    auto headers = accept;
    headers.emplace_back("Authorization", "Bearer " + token);
    return headers;
  };
  open_with(accept, "/api/messages");
  open_with(with_bearer("not-a-token"), "/api/messages");
  open_with(with_bearer(corrupt_signature(alice.token)), "/api/messages");
  open_with(with_bearer(forge_token(alice.id, now - 7200, now - 3600)),
            "/api/messages");
  open_with(with_bearer(forge_token("999999999999", now, now + 3600)),
            "/api/messages");
  open_with(with_bearer(forge_token(
              json{{"alg", "HS256"}, {"typ", "JWT"}},
              json{{"sub", alice.id}, {"iat", now}, {"exp", now + 3600}},
              "another-key")),
            "/api/messages");
  open_with(accept, "/api/messages?token=garbage");
  auto cookie = accept;
  cookie.emplace_back("Cookie", "parley_token=garbage");
  open_with(cookie, "/api/messages");
  CHECK(metric_value(server.port(), "parley_sse_streams_total") == 0);
}

TEST_CASE("the parley_token cookie and the token query parameter open a stream",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  header_list cookie{{"Accept", "text/event-stream"},
                     {"Cookie", "theme=dark; parley_token=" + pair.bob.token}};
  sse_client by_cookie{server.port()};
  auto response = by_cookie.open("/api/messages", cookie);
  REQUIRE(response.status == 200);
  sse_client by_query{server.port()};
  response = by_query.open("/api/messages?token=" + url_encode(pair.bob.token),
                           {{"Accept", "text/event-stream"}});
  REQUIRE(response.status == 200);
  for (auto* stream : {&by_cookie, &by_query})
    REQUIRE(stream->wait_until([&] { return stream->last_event_id() == "0"; },
                               event_wait));
  auto sent = post_message(client, pair.alice, pair.id, "hello");
  check_event(next(by_cookie), sent, 1, false);
  check_event(next(by_query), sent, 1, false);
  // The token never reaches the log, not even from the query string.
  CHECK(server.output().find(pair.bob.token) == std::string::npos);
}

TEST_CASE("a stream request whose Accept lacks text/event-stream gets 406 JSON",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  auto alice = client.login(unique_name("alice"));
  for (const auto& accept : {std::string{"application/json"}, std::string{}}) {
    INFO("Accept '" << accept << "'");
    header_list headers{{"Authorization", "Bearer " + alice.token}};
    if (!accept.empty())
      headers.emplace_back("Accept", accept);
    sse_client stream{server.port()};
    check_error(stream.open("/api/messages", headers), 406);
  }
  CHECK(metric_value(server.port(), "parley_sse_streams_total") == 0);
  // A browser's Accept list that includes it is fine.
  sse_client stream{server.port()};
  auto response = stream.open(
    "/api/messages", {{"Authorization", "Bearer " + alice.token},
                      {"Accept", "text/html, text/event-stream;q=0.9"}});
  CHECK(response.status == 200);
}

TEST_CASE("heartbeats arrive on a silent stream", "[integration][sse]") {
  server_process server{{"--parley.sse-heartbeat=1s"}};
  api client{server.port()};
  pair_fixture pair{client};
  sse_client stream{server.port()};
  open_fresh(stream, pair.bob, 0);
  bool beating
    = stream.wait_until([&] { return stream.heartbeats() >= 2; }, 15s);
  INFO("heartbeats " << stream.heartbeats()
                     << "; ended: " << stream.end_reason());
  REQUIRE(beating);
  CHECK(stream.pending().empty()); // a heartbeat is not an event
  CHECK(stream.last_event_id() == "0");
  auto sent = post_message(client, pair.alice, pair.id, "after the beats");
  check_event(next(stream), sent, 1, false);
  CHECK(stream.is_open());
}

TEST_CASE("Last-Event-ID resumes after a disconnect with exactly the missed "
          "events in order",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  auto replays_before = metric_value(server.port(), "parley_sse_replays_total");
  std::string cursor;
  {
    sse_client stream{server.port()};
    open_fresh(stream, pair.bob, 0);
    auto m1 = post_message(client, pair.alice, pair.id, "m1");
    auto m2 = post_message(client, pair.alice, pair.id, "m2");
    check_event(next(stream), m1, 1, false);
    check_event(next(stream), m2, 2, false);
    cursor = stream.last_event_id();
  } // the tab goes away
  CHECK(cursor == "2");
  // While bob is away: seq 3 alice, 4 bob's own, 5 alice, 6 alice.
  auto m3 = post_message(client, pair.alice, pair.id, "m3");
  post_message(client, pair.bob, pair.id, "own, skipped");
  auto m5 = post_message(client, pair.alice, pair.id, "m5");
  auto m6 = post_message(client, pair.alice, pair.id, "m6");

  SECTION("through the Last-Event-ID header") {
    sse_client stream{server.port()};
    open_stream(stream, pair.bob, {}, cursor);
    check_event(next(stream), m3, 3, false);
    check_event(next(stream), m5, 5, false);
    check_event(next(stream), m6, 6, false);
    // The seam: the next event is the next live one, nothing replayed twice.
    auto live = post_message(client, pair.alice, pair.id, "live");
    check_event(next(stream), live, 7, false);
    CHECK(metric_value(server.port(), "parley_sse_replays_total")
          > replays_before);
  }
  SECTION("through the Last-Event-ID header with include_own") {
    sse_client stream{server.port()};
    open_stream(stream, pair.bob, "include_own=true", cursor);
    check_event(next(stream), m3, 3, false);
    auto own = next(stream);
    CHECK(own.last_event_id == "4");
    CHECK(own.json()["mine"] == true);
    check_event(next(stream), m5, 5, false);
    check_event(next(stream), m6, 6, false);
    auto live = post_message(client, pair.alice, pair.id, "live");
    check_event(next(stream), live, 7, false);
  }
  SECTION("through the lastEventId and last_event_id query parameters") {
    std::vector<std::pair<json, std::int64_t>> expected{
      {m3, 3}, {m5, 5}, {m6, 6}};
    for (const std::string key : {"lastEventId", "last_event_id"}) {
      INFO("query parameter " << key);
      sse_client stream{server.port()};
      open_stream(stream, pair.bob, key + "=" + cursor);
      // Each round also replays the live message of the round before.
      for (const auto& [message, seq] : expected)
        check_event(next(stream), message, seq, false);
      auto live = post_message(client, pair.alice, pair.id, "live " + key);
      auto seq = static_cast<std::int64_t>(expected.size()) + 4;
      check_event(next(stream), live, seq, false);
      expected.emplace_back(live, seq);
    }
  }
  SECTION("from 0 replays the whole inbox") {
    auto m1 = client.messages(pair.bob, pair.id);
    sse_client stream{server.port()};
    open_stream(stream, pair.bob, {}, "0");
    std::vector<std::int64_t> seqs;
    for (int i = 0; i < 5; ++i) {
      auto event = next(stream);
      CHECK(event.json()["mine"] == false);
      seqs.push_back(event.seq());
    }
    CHECK(seqs == std::vector<std::int64_t>{1, 2, 3, 5, 6});
    sse_client own{server.port()};
    open_stream(own, pair.bob, "include_own=true", "0");
    auto all = own.read_events(6, event_wait);
    REQUIRE(all.size() == 6);
    // The same messages the REST listing shows, oldest first.
    REQUIRE(m1.size() == 6);
    for (std::size_t i = 0; i < 6; ++i) {
      CHECK(all[i].seq() == static_cast<std::int64_t>(i + 1));
      CHECK(all[i].json() == m1[5 - i]);
    }
  }
}

TEST_CASE("a cursor past the newest seq or a malformed one gets event reset "
          "then live events",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  pair_fixture pair{client};
  post_message(client, pair.alice, pair.id, "one");
  post_message(client, pair.alice, pair.id, "two");
  auto resets_before = metric_value(server.port(), "parley_sse_resets_total");
  struct variant {
    std::string query;
    std::optional<std::string> header;
  };
  std::vector<variant> variants{
    {"", std::string{"3"}},   {"", std::string{"999999"}},
    {"", std::string{"abc"}}, {"", std::string{"-5"}},
    {"", std::string{"1.5"}}, {"", std::string{"99999999999999999999999"}},
    {"lastEventId=xyz", {}},  {"last_event_id=100", {}},
  };
  int round = 0;
  for (const auto& v : variants) {
    INFO("query '" << v.query << "' Last-Event-ID '"
                   << v.header.value_or("(none)") << "'");
    sse_client stream{server.port()};
    open_stream(stream, pair.bob, v.query, v.header);
    auto newest = 2 + round;
    check_reset(next(stream), newest);
    CHECK(stream.last_event_id() == std::to_string(newest));
    auto live = post_message(client, pair.alice, pair.id,
                             "live " + std::to_string(round));
    check_event(next(stream), live, newest + 1, false);
    ++round;
  }
  CHECK(wait_metric(server.port(), "parley_sse_resets_total",
                    [&](std::int64_t n) {
                      return n
                             >= resets_before
                                  + static_cast<std::int64_t>(variants.size());
                    })
        >= resets_before + static_cast<std::int64_t>(variants.size()));
}

TEST_CASE("a client that stops reading is cut while another stream of the "
          "same user gets everything",
          "[integration][sse]") {
  // 64 KiB: about 30 of these events. The queue also holds what arrives
  // while one write is in flight, so a much smaller limit would cut even a
  // fast reader whenever the server is descheduled for a moment (seen with
  // 16 KiB on a loaded 2-core machine; see the report).
  server_process server{{"--parley.sse-queue-limit=64KiB"}};
  api client{server.port()};
  pair_fixture pair{client};
  sse_recorder reader;
  REQUIRE(reader.start(server.port(), pair.bob.token).status == 200);
  REQUIRE(reader.wait_last_event_id("0", event_wait));
  // Should it be cut all the same, it resumes like a browser; what counts
  // is that it gets every event exactly once, in order.
  reader.auto_resume(50);
  sse_client slow{server.port()};
  slow.set_receive_buffer(4096);
  open_fresh(slow, pair.bob, 0); // reads the prelude, then never again
  CHECK(metric_value(server.port(), "parley_sse_streams_cut_slow_total") == 0);

  // Large events (about 475 code points of 4-byte UTF-8) fill the slow client's
  // socket buffers fast; several posters at once until the server cuts it
  // (bounded by a message count and a time limit).
  std::string big;
  for (int i = 0; i < 470; ++i)
    big += "\xF0\x9F\x98\x80"; // 😀
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::mutex mutex;
  std::map<std::string, json> sent; // message id -> 201 body
  std::vector<std::string> failures;
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t)
    posters.emplace_back([&, t] {
      for (int n = 0; !stop && attempts++ < 20000; ++n) {
        auto content
          = "p" + std::to_string(t) + "-" + std::to_string(n) + " " + big;
        try {
          auto response
            = client.post("/api/conversations/" + pair.id + "/messages",
                          {{"content", content}}, pair.alice.token);
          std::lock_guard<std::mutex> guard{mutex};
          if (response.status == 201) {
            auto body = response.json();
            sent[body["id"].get<std::string>()] = body;
          } else {
            failures.push_back(std::to_string(response.status) + " "
                               + response.body);
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> guard{mutex};
          failures.push_back(e.what());
        }
      }
    });
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::int64_t cut = 0;
  while (cut < 1 && std::chrono::steady_clock::now() < deadline
         && attempts < 20000) {
    std::this_thread::sleep_for(100ms);
    cut = metric_value(server.port(), "parley_sse_streams_cut_slow_total");
  }
  stop = true;
  for (auto& poster : posters)
    poster.join();
  INFO("messages sent before the cut: " << sent.size());
  CHECK(failures.empty());
  REQUIRE(cut >= 1);
  // Seq order is commit order: once the reader has this last message, it
  // has everything before it.
  auto sentinel = post_message(client, pair.alice, pair.id, "sentinel");
  sent[sentinel["id"].get<std::string>()] = sentinel;
  auto total = static_cast<std::int64_t>(sent.size());

  // The normal stream got every message, seqs 1..total, each once.
  bool complete = reader.wait_for(
    [&](const std::vector<sse_event>& events) {
      return static_cast<std::int64_t>(events.size()) >= total;
    },
    60s);
  auto events = reader.events();
  INFO("reader got " << events.size() << " of " << total << " over "
                     << reader.connections()
                     << " connection(s); error: " << reader.error());
  REQUIRE(complete);
  REQUIRE(static_cast<std::int64_t>(events.size()) == total);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < events.size(); ++i) {
    REQUIRE(events[i].seq() == static_cast<std::int64_t>(i + 1));
    auto message = events[i].json();
    auto id = message["id"].get<std::string>();
    REQUIRE(sent.count(id) == 1);
    auto expected = sent[id];
    expected["mine"] = false;
    CHECK(message == expected);
    seen.insert(id);
  }
  CHECK(seen.size() == sent.size());
  CHECK(reader.error().empty());

  // The slow client: the server closed its connection. What it got before
  // the cut is a gap-free prefix; resuming from there brings the rest.
  REQUIRE(slow.wait_closed(60s));
  INFO("slow client ended: " << slow.end_reason());
  std::vector<sse_event> prefix;
  while (auto event = slow.next_event(0ms))
    prefix.push_back(std::move(*event));
  INFO("slow client got " << prefix.size() << " events before the cut");
  REQUIRE(prefix.size() < events.size());
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    REQUIRE(prefix[i].last_event_id == events[i].last_event_id);
    REQUIRE(prefix[i].data == events[i].data);
  }
  // Like a browser: reconnect with the last id until everything is there
  // (a resume is paced by the queue, but a client that stops again is cut
  // again).
  auto got = prefix;
  auto cursor
    = slow.last_event_id().empty() ? std::string{"0"} : slow.last_event_id();
  int connections = 0;
  while (got.size() < events.size() && connections < 200) {
    ++connections;
    sse_client resumed{server.port()};
    open_stream(resumed, pair.bob, {}, cursor);
    while (got.size() < events.size()) {
      auto event = resumed.next_event(event_wait);
      if (!event)
        break;
      got.push_back(std::move(*event));
    }
    INFO("resume " << connections << " from " << cursor
                   << " ended: " << resumed.end_reason());
    REQUIRE((resumed.ended() || got.size() == events.size()));
    cursor = resumed.last_event_id();
  }
  INFO("connections to resume: " << connections);
  verbose("slow consumer: " + std::to_string(sent.size())
          + " messages, cut after " + std::to_string(prefix.size())
          + " events, " + std::to_string(connections)
          + " connection(s) to resume; the reader used "
          + std::to_string(reader.connections()));
  REQUIRE(got.size() == events.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i].last_event_id == events[i].last_event_id);
    REQUIRE(got[i].data == events[i].data);
  }
  reader.stop();
}

// A replay is sent a page at a time, each page small enough for the queue,
// so a client that reads is never cut by its own backlog.
TEST_CASE("a reading client resuming a backlog larger than the queue limit is "
          "not cut",
          "[integration][sse]") {
  server_process server{{"--parley.sse-queue-limit=16KiB"}};
  api client{server.port()};
  pair_fixture pair{client};
  std::string big;
  for (int i = 0; i < 470; ++i)
    big += "\xF0\x9F\x98\x80"; // 😀: about 2 KB an event
  std::vector<json> sent;
  for (int i = 0; i < 40; ++i)
    sent.push_back(
      post_message(client, pair.alice, pair.id, std::to_string(i) + " " + big));
  sse_client stream{server.port()};
  open_stream(stream, pair.bob, {}, "0");
  auto events = stream.read_events(sent.size(), 30s);
  INFO("got " << events.size() << " of " << sent.size()
              << "; ended: " << stream.end_reason());
  CHECK(events.size() == sent.size());
  CHECK(metric_value(server.port(), "parley_sse_streams_cut_slow_total") == 0);
}

// A fresh stream reads the user's newest seq before its headers (the
// browser's `open`) go out, so a message created after `open` is never
// counted as "before the stream".
TEST_CASE("a message created right after a fresh stream opened reaches it",
          "[integration][sse]") {
  server_process server;
  api client{server.port()};
  int missed = 0;
  std::string notes;
  for (int round = 0; round < 40; ++round) {
    pair_fixture pair{client};
    sse_client stream{server.port()};
    open_stream(stream, pair.bob); // the head is here: EventSource's open
    auto sent = post_message(client, pair.alice, pair.id, "right after open");
    auto event = stream.next_event(3s);
    auto expected = sent;
    expected["mine"] = false;
    if (!event || event->json() != expected || event->seq() != 1) {
      ++missed;
      notes += "\nround " + std::to_string(round)
               + ": no event; the stream's lastEventId is "
               + stream.last_event_id();
      if (missed == 1) {
        auto log = server.output();
        notes += "\nserver log (tail):\n"
                 + log.substr(log.size() > 1200 ? log.size() - 1200 : 0);
      }
    }
  }
  INFO(missed << " of 40 fresh streams missed the message" << notes);
  CHECK(missed == 0);
}

TEST_CASE("a user past parley.sse-streams-per-user gets 429 JSON for one "
          "stream more, others are unaffected, and a closed stream frees a "
          "place",
          "[integration][sse]") {
  server_process server{{"--parley.sse-streams-per-user=2"}};
  api client{server.port()};
  pair_fixture pair{client};
  sse_client tab1{server.port()};
  sse_client tab2{server.port()};
  open_fresh(tab1, pair.bob, 0);
  open_fresh(tab2, pair.bob, 0);
  {
    sse_client third{server.port()};
    auto refused = third.connect(pair.bob.token);
    check_error(refused, 429);
    CHECK(refused.header("Content-Type").find("text/event-stream")
          == std::string::npos);
    CHECK(refused.header("Retry-After") == "10");
    CHECK(refused.json().at("message").get<std::string>().find("Too many")
          != std::string::npos);
  }
  // Another user opens streams as before; Bob's two still get everything.
  sse_client alice_tab{server.port()};
  open_fresh(alice_tab, pair.alice, 0, "include_own=true");
  auto sent = post_message(client, pair.alice, pair.id, "still here");
  check_event(next(tab1), sent, 1, false);
  check_event(next(tab2), sent, 1, false);
  check_event(next(alice_tab), sent, 1, true);
  CHECK(metric_value(server.port(), "parley_sse_open_streams") == 3);

  // Once the server has seen a tab close, a new one opens.
  tab2.close();
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    sse_client again{server.port()};
    auto response = again.connect(pair.bob.token);
    if (response.status == 200) {
      reopened = true;
      break;
    }
    INFO(response.body);
    REQUIRE(response.status == 429);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(reopened);
}
