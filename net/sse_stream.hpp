#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/core.hpp>
#include <caf/actor.hpp>

#include "actors/metrics.hpp"
#include "actors/stream_sink.hpp"

namespace parley {

namespace beast = boost::beast;

/// The write side of one `text/event-stream` response. Owns the socket
/// after the request, a bounded queue of shared event bytes and at most one
/// write in flight; keeps one read pending, which detects the client going
/// away. When the queue passes its limit the stream is cut (the client
/// resumes with Last-Event-ID), so a slow reader costs at most the limit.
class sse_stream : public stream_sink,
                   public std::enable_shared_from_this<sse_stream> {
public:
  /// A write the client has not taken in full after this long cuts the
  /// stream (checked when the next event or heartbeat is queued).
  static constexpr std::chrono::seconds default_write_timeout{30};

  sse_stream(beast::tcp_stream&& stream, size_t queue_limit,
             std::shared_ptr<metrics> counters, std::string request_id,
             std::chrono::steady_clock::duration write_timeout
             = default_write_timeout);
  ~sse_stream() override;

  /// Starts watching the socket. `prelude` (status line, headers,
  /// `retry:`) goes out when the actor calls open() (its inbox read found
  /// the user) or with its first write; a 401 or 429 response goes out
  /// instead if the actor calls refuse() first. `actor` hears (closed_atom)
  /// when the stream ends. `cors_origin` (null for none) is the allowed
  /// Origin the request came from: a refusal lets that page read it, as the
  /// prelude does. Call on the stream's strand, once.
  void start(shared_bytes prelude, caf::actor actor,
             shared_bytes cors_origin = nullptr);

  /// Thread-safe: posts onto the strand.
  void write(shared_bytes bytes) override;

  /// Thread-safe: posts onto the strand.
  void close() override;

  /// Thread-safe: posts onto the strand.
  void notify_drained(caf::actor listener) override;

  /// Thread-safe: posts onto the strand.
  void open() override;

  /// Thread-safe: posts onto the strand.
  void refuse(refusal why) override;

  /// The stream's strand, so tests can call start() on it.
  beast::tcp_stream::executor_type get_executor_for_test() {
    return stream_.get_executor();
  }

private:
  /// Runs `handler` on the stream's strand (the thread-safe entry points).
  void post_to_strand(void (sse_stream::*handler)());
  void enqueue(shared_bytes bytes);
  void do_end();
  void do_open();
  void do_refuse(refusal why);
  /// Counts the stream as opened (streams_total); returns the prelude.
  shared_bytes take_prelude();
  /// Queues `bytes` and writes if no write is in flight.
  void push(shared_bytes bytes);
  /// Queues `last`; the stream closes once everything is written.
  void send_then_close(shared_bytes last);
  void do_write();
  /// Forgets the written entry at head_.
  void drop_front();
  /// Drops the entries wholly in the first `written` bytes; returns how many
  /// bytes of the next entry are written already.
  size_t release(size_t written);
  /// Writes `count` entries from head_ asynchronously, the first from `offset`.
  void write_rest(size_t count, size_t offset);
  void on_write(beast::error_code ec, size_t bytes);
  void compact();
  void do_watch();
  void on_watch(beast::error_code ec, size_t bytes);
  void do_close();

  beast::tcp_stream stream_;
  size_t queue_limit_;
  std::chrono::steady_clock::duration write_timeout_;
  std::shared_ptr<metrics> counters_;
  std::string request_id_; // for the close log line
  caf::actor actor_;
  shared_bytes prelude_; ///< until the first write: the 200 and headers
  // Shared, not a string: 16 bytes keep the object in its allocation size
  // class (idle memory per stream).
  shared_bytes cors_origin_;        ///< until the first write: for a refusal
  bool close_when_written_ = false; ///< close once the queue is written
  bool refused_ = false;            ///< answered 401 or 429 instead
  caf::actor drain_listener_;       ///< told when the queue empties
  // A vector, not a deque: an empty deque already holds a 512-byte block,
  // and most streams are idle. Entries before head_ are written.
  std::vector<shared_bytes> queue_;
  size_t head_ = 0;
  size_t queued_bytes_ = 0;
  size_t in_flight_ = 0; ///< entries from head_ in an asynchronous write
  std::chrono::steady_clock::time_point write_started_; ///< of that write
  bool closed_ = false;
  bool try_first_ = false; ///< the socket is non-blocking: try writes at once
  // Clients send nothing on a stream: the watch read needs only a byte.
  char watch_buffer_[8];
};

} // namespace parley
