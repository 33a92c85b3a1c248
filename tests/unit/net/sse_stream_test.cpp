#include "net/sse_stream.hpp"

#include "net/http_util.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <boost/asio.hpp>
#include <catch2/catch.hpp>

using namespace parley;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A loopback connection: the server end wrapped in an sse_stream, the
// client end a plain socket. Small kernel buffers, so a client that does
// not read backs the stream's own queue up quickly.
struct pipe_pair {
  tcp::socket client;
  std::shared_ptr<sse_stream> stream;
};

// An io_context running on its own thread, and loopback pairs on it.
// Declare it before its pairs: it stops and joins when it goes, after them.
struct loopback {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  std::shared_ptr<metrics> counters = std::make_shared<metrics>();
  asio::executor_work_guard<asio::io_context::executor_type> guard
    = asio::make_work_guard(ioc);
  std::thread io{[this] { ioc.run(); }};

  ~loopback() {
    guard.reset();
    ioc.stop();
    io.join();
  }

  /// A connected pair whose stream has started with a 6-byte prelude (sent
  /// with the first write), request id "test", from `cors_origin` ("" for a
  /// request without an allowed Origin).
  pipe_pair open(size_t limit,
                 std::chrono::steady_clock::duration write_timeout
                 = sse_stream::default_write_timeout,
                 const std::string& cors_origin = {}) {
    tcp::socket client{ioc};
    client.open(tcp::v4());
    client.set_option(asio::socket_base::receive_buffer_size(8192));
    client.connect(acceptor.local_endpoint());
    tcp::socket server_side{asio::make_strand(ioc)};
    acceptor.accept(server_side);
    server_side.set_option(asio::socket_base::send_buffer_size(8192));
    auto stream
      = std::make_shared<sse_stream>(beast::tcp_stream{std::move(server_side)},
                                     limit, counters, "test", write_timeout);
    auto origin = cors_origin.empty()
                    ? nullptr
                    : std::make_shared<const std::string>(cors_origin);
    asio::post(stream->get_executor_for_test(), [stream, origin] {
      stream->start(std::make_shared<const std::string>("hello\n"), {}, origin);
    });
    return {std::move(client), stream};
  }
};

// Reads until the server closes the connection. Call it only once the
// stream was cut: a blocking read on a live stream would never return.
boost::system::error_code read_to_close(tcp::socket& client, size_t& got) {
  std::vector<char> buf(65536);
  boost::system::error_code ec;
  got = 0;
  while (!ec)
    got += client.read_some(asio::buffer(buf), ec);
  return ec;
}

struct read_result {
  std::string text;
  boost::system::error_code ec;
};

// Reads what a client gets until the server closes, or fails after 5 s of
// silence (SO_RCVTIMEO) instead of hanging when it never does.
read_result read_until_closed(tcp::socket& client) {
  timeval limit{5, 0};
  setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit,
             sizeof limit);
  read_result out;
  std::vector<char> buf(4096);
  while (!out.ec && out.text.size() < 1024 * 1024) {
    auto n = client.read_some(asio::buffer(buf), out.ec);
    out.text.append(buf.data(), n);
  }
  return out;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size()
         && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

TEST_CASE("a stream whose client stops reading is cut, and others are not",
          "[net][sse]") {
  loopback net;
  auto& counters = net.counters;
  constexpr size_t limit = 64 * 1024;
  auto slow = net.open(limit);
  auto fast = net.open(limit);

  // The fast client reads everything on its own thread, bounded in time.
  constexpr size_t chunks = 2000;
  auto chunk = std::make_shared<const std::string>(1024, 'x');
  const size_t expected = 6 + chunks * chunk->size();
  std::atomic<size_t> fast_got{0};
  std::thread reader{[&] {
    std::vector<char> buf(65536);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    boost::system::error_code ec;
    while (fast_got < expected && std::chrono::steady_clock::now() < deadline) {
      auto n = fast.client.read_some(asio::buffer(buf), ec);
      if (ec)
        break;
      fast_got += n;
    }
  }};
  // Written from this thread: write() is the thread-safe entry point. The
  // pace is what a reading client keeps up with: after every 16 KiB, wait
  // (bounded) until the fast client has read all but 16 KiB of it.
  auto pace_deadline
    = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t i = 0; i < chunks; ++i) {
    slow.stream->write(chunk);
    fast.stream->write(chunk);
    size_t sent = 6 + (i + 1) * chunk->size();
    while ((i + 1) % 16 == 0 && fast_got + 16 * 1024 < sent
           && std::chrono::steady_clock::now() < pace_deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  reader.join();
  CHECK(counters->open_streams == 2);
  CHECK(fast_got == expected);
  CHECK(counters->streams_cut_slow == 1);

  // The slow client finds its connection closed once it reads at last.
  if (counters->streams_cut_slow == 1) {
    size_t slow_got = 0;
    CHECK(read_to_close(slow.client, slow_got) == asio::error::eof);
    CHECK(slow_got < expected);
  }
}

TEST_CASE("a stream whose write stays unfinished past the timeout is cut "
          "when the next event is queued",
          "[net][sse]") {
  loopback net;
  auto& counters = net.counters;
  // A queue limit far above what is written: only the timeout can cut.
  constexpr size_t limit = 64 * 1024 * 1024;
  constexpr auto timeout = std::chrono::seconds(1);
  auto stuck = net.open(limit, timeout);

  // More than both kernel buffers hold: the write stays in flight, since
  // the client reads nothing.
  auto chunk = std::make_shared<const std::string>(64 * 1024, 'x');
  for (int i = 0; i < 32; ++i)
    stuck.stream->write(chunk);
  // Within the timeout, a queued event does not cut the stream.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stuck.stream->write(chunk);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(counters->streams_cut_slow == 0);
  // Past it, the next one does.
  std::this_thread::sleep_for(timeout);
  stuck.stream->write(chunk);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (counters->streams_cut_slow == 0
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(counters->streams_cut_slow == 1);

  // The client, reading at last, finds the connection closed.
  if (counters->streams_cut_slow == 1) {
    size_t got = 0;
    CHECK(read_to_close(stuck.client, got) == asio::error::eof);
    CHECK(got < 6 + 34 * chunk->size());
  }
}

TEST_CASE("a stream the kernel takes in parts delivers every byte once, in "
          "order",
          "[net][sse]") {
  loopback net;
  auto& counters = net.counters;
  auto pair = net.open(64 * 1024 * 1024);

  // Chunks of odd sizes and distinct bytes, many more than the small kernel
  // buffers hold: writes end inside chunks and resume from there.
  std::string expected = "hello\n";
  for (int i = 0; i < 400; ++i) {
    auto chunk = std::make_shared<const std::string>(
      static_cast<size_t>(700 + (i * 37) % 900),
      static_cast<char>('a' + i % 26));
    expected += *chunk;
    pair.stream->write(chunk);
  }
  // A slow reader, never blocking: a lost byte ends at the deadline, not in
  // a hang.
  pair.client.non_blocking(true);
  std::string got;
  std::vector<char> buf(3000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < expected.size()
         && std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    auto n = pair.client.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    if (ec)
      break;
    got.append(buf.data(), n);
  }
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(counters->streams_cut_slow == 0);
}

TEST_CASE("a stream's headers wait for its first write, and a refusal goes "
          "out instead of them",
          "[net][sse]") {
  loopback net;
  auto& counters = net.counters;
  auto refused = net.open(64 * 1024);
  refused.stream->refuse(refusal{refusal::unknown_user});
  refused.stream->write(std::make_shared<const std::string>("late\n"));
  auto refused_read = read_until_closed(refused.client);
  CHECK(refused_read.ec == asio::error::eof);
  // The whole 401, and nothing else: no headers, no later write.
  CHECK(refused_read.text.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
  CHECK(
    ends_with(refused_read.text,
              "\r\n\r\n{\"message\":\"Missing, invalid or expired token\"}"));
  CHECK(refused_read.text.find("Vary: Origin\r\n") != std::string::npos);
  CHECK(refused_read.text.find("Access-Control-") == std::string::npos);
  CHECK(refused_read.text.find("X-Request-Id: test\r\n") != std::string::npos);
  CHECK(refused_read.text.find("Connection: close\r\n") != std::string::npos);
  CHECK(refused_read.text.find("\"message\"") != std::string::npos);
  CHECK(counters->streams_total == 0); // refused: never opened

  auto opened = net.open(64 * 1024);
  opened.stream->write(std::make_shared<const std::string>("first\n"));
  // Too late for a status: the stream just ends.
  opened.stream->refuse(refusal{refusal::unknown_user});
  auto opened_read = read_until_closed(opened.client);
  CHECK(opened_read.ec == asio::error::eof);
  CHECK(opened_read.text == "hello\nfirst\n");
  CHECK(counters->streams_total == 1);

  auto empty = net.open(64 * 1024);
  empty.stream->open(); // the user exists, nothing to write yet
  empty.stream->refuse(refusal{refusal::too_many_streams});
  auto empty_read = read_until_closed(empty.client);
  CHECK(empty_read.ec == asio::error::eof);
  CHECK(empty_read.text == "hello\n");
  CHECK(counters->streams_total == 2);

  auto busy = net.open(64 * 1024);
  busy.stream->refuse(refusal{refusal::too_many_streams});
  auto busy_read = read_until_closed(busy.client);
  CHECK(busy_read.ec == asio::error::eof);
  CHECK(busy_read.text.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0) == 0);
  CHECK(ends_with(
    busy_read.text,
    "\r\n\r\n{\"message\":\"Too many event streams open for this user\"}"));
  CHECK(busy_read.text.find("Retry-After: 10\r\n") != std::string::npos);
  CHECK(busy_read.text.find("\"message\"") != std::string::npos);

  auto hasty = net.open(64 * 1024);
  hasty.stream->refuse(refusal{refusal::too_many_opens, 3});
  auto hasty_read = read_until_closed(hasty.client);
  CHECK(hasty_read.ec == asio::error::eof);
  CHECK(hasty_read.text.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0) == 0);
  CHECK(
    ends_with(hasty_read.text,
              "\r\n\r\n{\"message\":\"Too many requests; try again in 3 s\"}"));
  CHECK(hasty_read.text.find("Retry-After: 3\r\n") != std::string::npos);
  CHECK(counters->streams_total == 2); // refused: never opened
}

TEST_CASE("a refused stream from the allowed origin lets its page read why",
          "[net][sse]") {
  loopback net;
  const std::string origin = "http://app.test";
  for (auto why : {refusal::unknown_user, refusal::too_many_streams,
                   refusal::too_many_opens}) {
    auto refused
      = net.open(64 * 1024, sse_stream::default_write_timeout, origin);
    refused.stream->refuse(refusal{why, 1});
    auto read = read_until_closed(refused.client);
    INFO(read.text);
    CHECK(read.ec == asio::error::eof);
    CHECK(read.text.find("Access-Control-Allow-Origin: " + origin + "\r\n")
          != std::string::npos);
    CHECK(read.text.find("Access-Control-Allow-Credentials: true\r\n")
          != std::string::npos);
    CHECK(read.text.find("Vary: Origin\r\n") != std::string::npos);
    CHECK(read.text.find("X-Request-Id: test\r\n") != std::string::npos);
  }
}

TEST_CASE("a stream closed before its first write sends its headers, then "
          "ends",
          "[net][sse]") {
  loopback net;
  auto ended = net.open(64 * 1024);
  ended.stream->close();
  auto ended_read = read_until_closed(ended.client);
  CHECK(ended_read.ec == asio::error::eof);
  CHECK(ended_read.text == "hello\n");
  CHECK(net.counters->streams_total == 1);
}
