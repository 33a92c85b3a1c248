#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::bench {

/// Receives body bytes from a response_parser as they arrive.
class body_sink {
public:
  virtual ~body_sink() = default;
  /// Called for each run of body bytes (never for framing bytes).
  virtual void on_body(std::string_view bytes) = 0;
};

/// What the status line and headers of a response said.
struct response_head {
  int status = 0;
  int64_t content_length = -1; // -1: none given
  bool chunked = false;
  bool close = false; // the server closes after this response
};

/// Incremental parser of one HTTP/1.1 response at a time: status line and
/// headers, then a body framed by Content-Length, by chunked encoding, or by
/// the end of the connection (how an event stream without chunking ends).
/// Small on purpose: one per connection, thousands of connections.
class response_parser {
public:
  enum class result { need_more, done, error };

  /// Consumes bytes; `used` is set to how many it took. `done` means one
  /// whole response was read (bytes after it belong to the next one).
  result feed(const char* data, size_t size, size_t& used, body_sink& sink);

  /// Forgets everything, ready for the next response.
  void reset();

  /// True once the header block was parsed.
  bool has_head() const {
    return state_ > state::header;
  }

  const response_head& head() const {
    return head_;
  }

  /// Largest header block accepted.
  static constexpr size_t max_header = 16 * 1024;

private:
  enum class state {
    header,
    body_length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailer,
    body_eof,
    done,
    error
  };

  bool parse_head(std::string_view block);
  size_t take_line(const char* data, size_t size, bool& complete);
  void on_line();

  state state_ = state::header;
  response_head head_;
  std::string buf_; // header block or a framing line; empty between them
  uint64_t remaining_ = 0;
};

/// Splits an event-stream body into comments and events, as EventSource does:
/// `id:` and `data:` fields, a blank line dispatches, `:` starts a comment.
class sse_decoder {
public:
  /// Receives what the decoder finds.
  class handler {
  public:
    virtual ~handler() = default;
    /// A `:` comment line (a heartbeat or a prelude), or an event with a
    /// type but neither id nor data (how Nchan sends its pings; browsers
    /// dispatch nothing for it, but it keeps the connection alive).
    virtual void on_comment(std::string_view text) = 0;
    /// A dispatched event; `data` may be empty (an `id:`-only event moves
    /// the cursor without a message). `type` is the `event:` field.
    virtual void on_event(std::string_view id, bool has_id,
                          std::string_view type, std::string_view data)
      = 0;
  };

  /// Feeds body bytes; calls the handler for each complete line's effect.
  void feed(std::string_view bytes, handler& h);

private:
  void line(std::string_view text, handler& h);

  std::string partial_; // an unfinished line (usually empty)
  std::string id_;
  std::string type_;
  std::string data_;
  bool has_id_ = false;
  bool has_data_ = false;
};

/// The fields the generator puts in each message: `t=<ns> u=<user> n=<seq>`.
struct payload {
  int64_t sent_ns = 0; // steady-clock nanoseconds at the intended send time
  uint32_t user = 0;   // receiving user's index
  uint32_t n = 0;      // per-receiver message number, from 1
};

/// Finds the payload fields anywhere in `data` (JSON or raw); false if any
/// is missing.
bool parse_payload(std::string_view data, payload& out);

/// The content string for a payload (parse_payload reads it back).
std::string format_payload(const payload& p);

} // namespace parley::bench
