#pragma once

// A real event-stream (SSE) client for the integration tests: one TCP
// connection over loopback, the response head parsed by hand (the stream
// has no Content-Length and runs until close), and the body parsed by the
// WHATWG "event stream interpretation" rules, as a browser's EventSource
// does: lines end in CRLF, LF or CR; `:` starts a comment; `field: value`
// with one optional space; `data` lines join with LF; a blank line
// dispatches; `id` sets the last event ID buffer (kept across events), which
// becomes the stream's lastEventId at every dispatch, even when the block
// fires no event (an `id:`-only block); `retry` takes digits only.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.hpp"

namespace itest {

/// One dispatched event, as EventSource would hand it to a listener.
struct sse_event {
  std::string type = "message"; ///< `event:` field, "message" by default
  std::string data;             ///< `data:` lines joined with LF
  std::string last_event_id;    ///< the stream's lastEventId at dispatch

  /// `last_event_id` as a number; throws if it is not one.
  std::int64_t seq() const;

  /// `data` parsed as JSON; throws std::runtime_error (with the data) if not.
  nlohmann::json json() const;
};

/// The WHATWG event-stream parser, without any I/O (so it can be tested on
/// its own). Feed it the response body in chunks of any size.
class sse_parser {
public:
  /// Parses `bytes`; complete events are appended to `events()`.
  void feed(std::string_view bytes);

  /// Starts a reconnection's parser with the id it resumes from, as
  /// browsers do (lastEventId survives a reconnect until a new id comes).
  void seed_last_event_id(const std::string& id) {
    id_buffer_ = id;
    last_event_id_ = id;
  }

  /// Dispatched events not yet taken by the caller.
  std::deque<sse_event>& events() {
    return events_;
  }

  /// The stream's last event ID string (what a reconnect sends).
  const std::string& last_event_id() const {
    return last_event_id_;
  }

  /// The reconnection time a `retry:` field set, if any.
  std::optional<std::int64_t> retry_ms() const {
    return retry_ms_;
  }

  /// The text after `:` of every comment line, in order (capped at 1000
  /// entries; `comment_count()` keeps counting).
  const std::vector<std::string>& comments() const {
    return comments_;
  }
  std::size_t comment_count() const {
    return comment_count_;
  }

  /// Comment lines with nothing after the colon: the server's heartbeats.
  std::size_t heartbeats() const {
    return heartbeats_;
  }

  /// Blank lines seen (dispatches, whether or not they fired an event).
  std::size_t blocks() const {
    return blocks_;
  }

  /// Events fired so far (including those already taken).
  std::size_t fired() const {
    return fired_;
  }

private:
  void on_line(std::string_view line);
  void dispatch();

  std::string line_;          // the current, unterminated line
  bool after_cr_ = false;     // the last byte was CR (an LF may follow)
  bool at_start_ = true;      // a leading BOM is still to be skipped
  std::string bom_candidate_; // bytes of a possible BOM at the start
  std::string data_;          // data buffer
  std::string event_type_;    // event type buffer
  std::string id_buffer_;     // last event ID buffer
  std::string last_event_id_; // last event ID string of the source
  std::optional<std::int64_t> retry_ms_;
  std::vector<std::string> comments_;
  std::size_t comment_count_ = 0;
  std::size_t heartbeats_ = 0;
  std::size_t blocks_ = 0;
  std::size_t fired_ = 0;
  std::deque<sse_event> events_;
};

/// One event-stream connection. Blocking, every wait bounded by a timeout.
/// Not thread-safe: use one client from one thread at a time.
class sse_client {
public:
  using millis = std::chrono::milliseconds;

  explicit sse_client(std::uint16_t port);
  ~sse_client();

  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// Sends `GET target` with `headers` (Host is added) and reads the
  /// response head. On 200 the stream is open and the returned response has
  /// an empty body; on any other status its body is read (Content-Length or
  /// until close) and the connection is closed. Throws std::runtime_error
  /// if no response head arrives within `timeout`.
  http_response open(const std::string& target, const header_list& headers,
                     millis timeout = std::chrono::seconds(10));

  /// The usual request: `Accept: text/event-stream`, a Bearer token unless
  /// `token` is empty, `query` (without '?') appended to /api/messages, and
  /// a `Last-Event-ID` header when `last_event_id` is given (which also
  /// seeds `last_event_id()`, as in a browser's reconnect).
  http_response connect(const std::string& token, const std::string& query = {},
                        const std::optional<std::string>& last_event_id = {},
                        millis timeout = std::chrono::seconds(10));

  /// The next event, or nullopt when none arrives within `timeout` or the
  /// connection ended first (see `ended()`).
  std::optional<sse_event> next_event(millis timeout);

  /// Events until `count` have been returned, the timeout passes or the
  /// connection ends; may return fewer than `count`.
  std::vector<sse_event> read_events(std::size_t count, millis timeout);

  /// Events up to and including the first for which `done(event)` holds;
  /// stops early (without such an event last) on timeout or end.
  std::vector<sse_event>
  read_until(const std::function<bool(const sse_event&)>& done, millis timeout);

  /// Reads (parsing, keeping events queued) until `condition()` holds;
  /// false if the timeout passed or the connection ended first.
  bool wait_until(const std::function<bool()>& condition, millis timeout);

  /// Reads everything until the server closes the connection (events stay
  /// queued for `next_event`); true if it closed within `timeout`.
  bool wait_closed(millis timeout);

  /// Everything received in `window` (or until close), without waiting for
  /// more: events stay queued. For "nothing else arrives" checks.
  void drain_for(millis window);

  /// Events parsed but not yet taken.
  std::deque<sse_event>& pending() {
    return parser_.events();
  }

  /// Closes our side. Idempotent.
  void close();

  /// The head was 200 and the connection has not ended (nor been closed).
  bool is_open() const {
    return open_ && !ended_ && !closed_;
  }

  /// The server closed the connection (EOF) or it failed (reset).
  bool ended() const {
    return ended_;
  }

  /// How the connection ended ("" while open or after our own close).
  const std::string& end_reason() const {
    return end_reason_;
  }

  const sse_parser& parser() const {
    return parser_;
  }
  std::string last_event_id() const {
    return parser_.last_event_id();
  }
  std::size_t heartbeats() const {
    return parser_.heartbeats();
  }
  std::uint64_t body_bytes() const {
    return body_bytes_;
  }

  /// Shrinks the socket's receive buffer before connecting, so that a
  /// client that never reads stops the server's writes early.
  void set_receive_buffer(int bytes) {
    receive_buffer_ = bytes;
  }

private:
  struct io;
  // Reads once; appends to `raw`. 0 on timeout or end (then ended_ is set).
  std::size_t read_some(std::string& raw,
                        std::chrono::steady_clock::time_point deadline);
  // Reads and parses one chunk of the body; false on timeout or end.
  bool pump(std::chrono::steady_clock::time_point deadline);

  std::uint16_t port_;
  std::unique_ptr<io> io_;
  sse_parser parser_;
  bool open_ = false;
  bool ended_ = false;
  bool closed_ = false;
  std::string end_reason_;
  std::uint64_t body_bytes_ = 0;
  int receive_buffer_ = 0;
};

/// An sse_client read by its own thread, which records every event (for
/// tests with many streams at once). A recorder may `start` again after the
/// connection ended (a resume): its events accumulate across connections.
/// Thread-safe: yes (all public members).
class sse_recorder {
public:
  sse_recorder() = default;
  ~sse_recorder();

  sse_recorder(const sse_recorder&) = delete;
  sse_recorder& operator=(const sse_recorder&) = delete;

  /// Connects (as sse_client::connect) on the calling thread and, on 200,
  /// starts the reading thread. Returns the response head. Any earlier
  /// reading thread must have ended (call `stop()` or `wait_ended()`).
  http_response start(std::uint16_t port, const std::string& token,
                      const std::string& query = {},
                      const std::optional<std::string>& last_event_id = {});

  /// From now on, when the server ends the connection, reconnect with the
  /// last id, as EventSource does, up to `times` times in all. The events
  /// of every connection accumulate; `ends()` counts the cuts.
  void auto_resume(int times);

  /// Waits (bounded) until the reading thread sees the connection end;
  /// true if it did. Joins the thread.
  bool wait_ended(std::chrono::milliseconds timeout);

  /// Closes the connection and joins the reading thread. Idempotent.
  void stop();

  /// Asks the reading thread to stop (within ~100 ms) without waiting:
  /// call it on many recorders, then stop() each, to stop them all at once.
  void request_stop();

  /// Every event received so far, over all connections, in arrival order.
  std::vector<sse_event> events() const;
  std::size_t count() const;

  /// The stream's lastEventId as the parser keeps it (updated by `id:`
  /// blocks that fire no event, too); "" before any.
  std::string last_event_id() const;

  /// Waits until `condition(events())` holds; false on timeout.
  bool
  wait_for(const std::function<bool(const std::vector<sse_event>&)>& condition,
           std::chrono::milliseconds timeout) const;

  /// Waits until the stream's lastEventId is `id`; false on timeout.
  bool wait_last_event_id(const std::string& id,
                          std::chrono::milliseconds timeout) const;

  /// Connections that ended by the server's side (EOF or reset).
  int ends() const;

  /// How the last connection ended ("eof", or the error), "" while open.
  std::string end_reason() const;

  /// Connections started (1 + resumes).
  int connections() const;

  /// An exception the reading thread caught, or "".
  std::string error() const;

private:
  void run(std::shared_ptr<sse_client> client);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<sse_event> events_;
  std::string last_event_id_;
  std::string error_;
  int ends_ = 0;
  int connections_ = 0;
  int resumes_left_ = 0;
  std::uint16_t port_ = 0;
  std::string token_;
  std::string query_;
  std::string end_reason_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::shared_ptr<sse_client> client_;
};

/// The stream target: /api/messages plus `query` (without '?').
std::string stream_target(const std::string& query);

/// The value of metric `name` in `/metrics` (no auth); throws if absent.
std::int64_t metric_value(std::uint16_t port, const std::string& name);

} // namespace itest
