// Unit tests of the generator's pure parts: HTTP framing, SSE decoding,
// payloads, the histogram and the delivery ledger.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http_parser.hpp"
#include "options.hpp"
#include "report.hpp"
#include "stats.hpp"

using namespace parley::bench;

namespace {

struct collect : body_sink, sse_decoder::handler {
  std::string body;
  std::vector<std::string> ids, datas, types;
  int comments = 0;
  sse_decoder decoder;
  void on_body(std::string_view b) override {
    body.append(b);
    decoder.feed(b, *this);
  }
  void on_comment(std::string_view) override {
    ++comments;
  }
  void on_event(std::string_view id, bool has_id, std::string_view type,
                std::string_view data) override {
    ids.emplace_back(has_id ? std::string{id} : "-");
    types.emplace_back(type);
    datas.emplace_back(data);
  }
};

// Feeds `text` one byte at a time (the worst split) and returns the result.
response_parser::result feed_bytewise(response_parser& p,
                                      const std::string& text, collect& c) {
  auto r = response_parser::result::need_more;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t used = 0;
    r = p.feed(text.data() + i, 1, used, c);
    if (r != response_parser::result::need_more)
      return r;
  }
  return r;
}

} // namespace

TEST_CASE("content-length response") {
  response_parser p;
  collect c;
  std::string text = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n"
                     "connection: Close\r\n\r\nhelloEXTRA";
  size_t used = 0;
  REQUIRE(p.feed(text.data(), text.size(), used, c)
          == response_parser::result::done);
  CHECK(p.head().status == 201);
  CHECK(p.head().close);
  CHECK(c.body == "hello");
  CHECK(used == text.size() - 5);
}

TEST_CASE("chunked response split at every byte") {
  response_parser p;
  collect c;
  std::string text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5;ext=1\r\nhello\r\nA\r\n 0123456\r\n\r\n0\r\n\r\n";
  REQUIRE(feed_bytewise(p, text, c) == response_parser::result::done);
  CHECK(c.body == "hello 0123456\r\n");
  p.reset();
  CHECK_FALSE(p.has_head());
}

TEST_CASE("event stream over chunks, split anywhere") {
  std::string events = "retry: 2000\n: parley event stream\n\nid: 7\n\n"
                       "id: 8\r\ndata: {\"content\":\"t=5 u=3 n=1\"}\r\n\r\n"
                       "event: reset\nid: 9\ndata: {}\n\n:\n\n"
                       "event: ping\n\n";
  for (size_t split = 1; split < events.size(); split += 7) {
    std::string text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    auto hex = [](size_t n) {
      char b[32];
      std::snprintf(b, sizeof b, "%zx", n);
      return std::string{b};
    };
    text += hex(split) + "\r\n" + events.substr(0, split) + "\r\n";
    text += hex(events.size() - split) + "\r\n" + events.substr(split) + "\r\n";
    response_parser p;
    collect c;
    CHECK(feed_bytewise(p, text, c) == response_parser::result::need_more);
    REQUIRE(c.ids == std::vector<std::string>{"7", "8", "9"});
    CHECK(c.datas[0].empty());
    CHECK(c.types[2] == "reset");
    CHECK(c.comments == 3);
    payload pl;
    REQUIRE(parse_payload(c.datas[1], pl));
    CHECK(pl.sent_ns == 5);
    CHECK(pl.user == 3);
    CHECK(pl.n == 1);
  }
}

TEST_CASE("stream without framing ends with the connection") {
  response_parser p;
  collect c;
  std::string text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "\r\ndata: a\n\ndata: b\n";
  size_t used = 0;
  CHECK(p.feed(text.data(), text.size(), used, c)
        == response_parser::result::need_more);
  CHECK(c.datas == std::vector<std::string>{"a"});
}

TEST_CASE("malformed responses are errors") {
  response_parser p;
  collect c;
  std::string text = "HTTP/1.1 2x0 OK\r\n\r\n";
  size_t used = 0;
  CHECK(p.feed(text.data(), text.size(), used, c)
        == response_parser::result::error);
  response_parser q;
  text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  CHECK(q.feed(text.data(), text.size(), used, c)
        == response_parser::result::error);
}

TEST_CASE("payload round trip") {
  payload in{123456789012345, 42, 7}, out;
  REQUIRE(parse_payload("{\"content\":\"" + format_payload(in) + "\"}", out));
  CHECK(out.sent_ns == in.sent_ns);
  CHECK(out.user == 42);
  CHECK(out.n == 7);
  CHECK_FALSE(parse_payload("{\"content\":\"hello\"}", out));
}

TEST_CASE("histogram quantiles within 2 %") {
  histogram h;
  for (int64_t v = 1; v <= 100000; ++v)
    h.record(v);
  CHECK(h.count() == 100000);
  CHECK(h.max() == 100000);
  CHECK(h.quantile(0.5) == Approx(50000).epsilon(0.02));
  CHECK(h.quantile(0.99) == Approx(99000).epsilon(0.02));
  CHECK(h.quantile(1.0) == 100000);
  h.clear();
  CHECK(h.quantile(0.99) == 0);
}

TEST_CASE("ledger counts losses and duplicates per stream") {
  ledger book;
  book.init(2, {0, 0, 1}); // user 0 has two streams, user 1 one
  auto a = book.next(0);
  auto b = book.next(0);
  auto c = book.next(1);
  CHECK(book.pending() == 3);
  CHECK(book.received(0, 0, a)); // delivered before the 201
  book.posted(0, a, true);
  book.posted(0, b, true);
  book.posted(1, c, false); // failed: owed to nobody
  CHECK(book.expected() == 4);
  CHECK(book.delivered() == 1);
  CHECK(book.received(1, 0, a));
  CHECK(book.received(0, 0, b));
  CHECK_FALSE(book.received(0, 0, b));
  CHECK(book.duplicates() == 1);
  CHECK_FALSE(book.received(2, 0, a)); // stream 2 belongs to user 1
  CHECK(book.lost() == 1);             // stream 1 never got b
  CHECK(book.pending() == 0);
}

TEST_CASE("the median of runs: figures, spread, summed checks, failures") {
  using ojson = nlohmann::ordered_json;
  auto run = [](double p99, double rate, int lost, bool failed) {
    ojson r;
    r["scenario"] = "chat";
    r["target"] = "parley";
    r["label"] = "chat-1k";
    r["figures"] = {{"latency_p99_ms", p99},
                    {"delivered_per_s", rate},
                    {"setup_seconds", 2.0 + lost},
                    {"note", "text"}};
    r["steps"] = ojson::array({{{"step", 1}}});
    r["checks"] = {{"lost", lost}, {"http_errors", 0}};
    r["failures"] = failed ? ojson::array({"1 event lost"}) : ojson::array();
    r["ok"] = !failed;
    return r;
  };
  auto three = median_of({run(5.0, 990, 0, false), run(3.0, 1000, 0, false),
                          run(9.0, 995, 1, true)});
  CHECK(three["runs"] == 3);
  CHECK(three["figures"]["latency_p99_ms"] == 5.0);
  CHECK(three["figures"]["delivered_per_s"] == 995.0);
  CHECK(three["figures"]["note"] == "text");
  CHECK(three["spread"]["latency_p99_ms"] == ojson::array({3.0, 9.0}));
  CHECK(three["checks"]["lost"] == 1.0);
  CHECK(three["figures"]["setup_seconds"] == 2.0); // a time: not summed
  CHECK(three["spread"]["setup_seconds"] == ojson::array({2.0, 3.0}));
  CHECK(three["failures"] == ojson::array({"run 3: 1 event lost"}));
  CHECK(three["ok"] == false);
  CHECK_FALSE(three.contains("steps"));
  CHECK(three["label"] == "chat-1k");

  auto two = median_of({run(4.0, 990, 0, false), run(6.0, 1000, 0, false)});
  CHECK(two["figures"]["latency_p99_ms"] == 5.0); // the middle two's mean
  CHECK(two["ok"] == true);

  auto other = run(1.0, 1, 0, false);
  other["target"] = "nchan";
  CHECK(median_of({run(4.0, 990, 0, false), other}).empty());
  CHECK(median_of({}).empty());

  // A run that left no result: the others' figures, and a failure for it.
  auto gap
    = median_of({run(4.0, 990, 0, false), nullptr, run(6.0, 1000, 0, false)});
  CHECK(gap["runs"] == 3);
  CHECK(gap["figures"]["latency_p99_ms"] == 5.0);
  CHECK(gap["checks"]["lost"] == 0.0);
  CHECK(
    gap["failures"]
    == ojson::array({"run 2: no result (its JSON is missing or unreadable)"}));
  CHECK(gap["ok"] == false);
  CHECK(median_of({nullptr, nullptr}).empty());
}

TEST_CASE("median needs an output file and at least one run") {
  auto parse = [](std::vector<std::string> args, std::string& error) {
    args.insert(args.begin(), "parley-bench");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    return parse_options(static_cast<int>(argv.size()), argv.data(), error);
  };
  std::string error;
  CHECK_FALSE(parse({"median", "out.json"}, error));
  CHECK(error == "median needs an output file and at least one run");
  auto ok = parse({"median", "out.json", "run1.json", "run2.json"}, error);
  REQUIRE(ok);
  CHECK(ok->files
        == std::vector<std::string>{"out.json", "run1.json", "run2.json"});
}

TEST_CASE("--pace-advisory is a flag, off unless given") {
  auto parse = [](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    std::string error;
    auto o = parse_options(static_cast<int>(argv.size()), argv.data(), error);
    INFO(error);
    REQUIRE(o);
    return *o;
  };
  CHECK_FALSE(parse({"parley-bench", "chat", "--rate=200"}).pace_advisory);
  auto o = parse({"parley-bench", "chat", "--pace-advisory", "--rate=200"});
  CHECK(o.pace_advisory);
  CHECK(o.rate == 200); // the flag takes no value from the next argument
}
