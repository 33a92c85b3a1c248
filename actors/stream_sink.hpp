#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>

namespace parley {

/// Bytes shared by every stream that sends the same event: immutable and
/// reference-counted, so one serialisation serves many streams.
using shared_bytes = std::shared_ptr<const std::string>;

/// Why a stream is answered with an error instead of opening.
struct refusal {
  enum reason_t {
    unknown_user,     ///< 401: the token's user does not exist
    too_many_streams, ///< 429: the user has as many streams open as allowed
    too_many_opens,   ///< 429: the user opened streams too often
  };
  reason_t reason;
  int64_t retry_after = 0; ///< seconds to wait (too_many_opens)
};

/// The write side of one event stream, as an actor sees it. Implemented by
/// net/sse_stream on its Asio strand; the actor holds only a weak_ptr.
class stream_sink {
public:
  virtual ~stream_sink() = default;

  /// Queues `bytes` for the client. Thread-safe: posts onto the stream's
  /// strand. A stream whose queue passes its limit closes itself.
  virtual void write(shared_bytes bytes) = 0;

  /// Ends the stream cleanly (the browser will reconnect). Thread-safe.
  virtual void close() = 0;

  /// The stream's user exists: sends the status line and headers now if no
  /// write has sent them yet. Thread-safe.
  virtual void open() = 0;

  /// Answers `why`'s status (401, 429) instead of the stream if nothing was
  /// written yet (the status line waits for the first write), else ends it
  /// like close(). Thread-safe.
  virtual void refuse(refusal why) = 0;

  /// Sends (drained_atom) to `listener` once everything queued so far has
  /// been written (at once if nothing is queued). Replays use it to send a
  /// page at a time instead of flooding the bounded queue. Thread-safe.
  virtual void notify_drained(caf::actor listener) = 0;
};

} // namespace parley
