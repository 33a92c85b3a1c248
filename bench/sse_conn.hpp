#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/io_context.hpp>

#include "http_parser.hpp"
#include "net_util.hpp"

namespace parley::bench {

class sse_conn;

/// Receives what event-stream connections see (all on the io thread).
class sse_listener {
public:
  virtual ~sse_listener() = default;
  /// The response's status line and headers arrived.
  virtual void on_head(sse_conn& c, int status) = 0;
  virtual void on_event(sse_conn& c, std::string_view id, bool has_id,
                        std::string_view type, std::string_view data)
    = 0;
  virtual void on_comment(sse_conn& c) = 0;
  /// The connection ended without drop(): `why` says how.
  virtual void on_closed(sse_conn& c, const std::string& why) = 0;
};

/// One EventSource-like client stream, kept small for tens of thousands of
/// them: no buffer of its own while idle. It waits for readability and then
/// reads into one buffer shared by all streams of the thread.
class sse_conn final : private body_sink, private sse_decoder::handler {
public:
  sse_conn(asio::io_context& ioc, uint32_t index, uint32_t user,
           sse_listener& listener);

  /// Connects from `source` and sends `request` (a whole GET).
  void open(const tcp::endpoint& server, const asio::ip::address_v4& source,
            std::string request);

  /// Closes on purpose: the listener hears nothing of it.
  void drop();

  bool is_open() const {
    return open_;
  }

  const uint32_t index;  // position among all streams
  const uint32_t user;   // the user it belongs to
  std::string last_id;   // the last `id:` seen (sent back as Last-Event-ID)
  int64_t last_seq = -1; // last_id as a number, when it is one
  int64_t last_comment_ns = 0;
  uint32_t comments = 0;
  uint16_t reconnects = 0;
  bool live = false;       // counted as live by the scenario
  bool resumed = false;    // opened with a Last-Event-ID
  bool holds_slot = false; // counted among the connects in flight

private:
  void on_connect(unsigned gen, error_code ec);
  void on_written(unsigned gen, error_code ec);
  void do_wait();
  void on_readable(unsigned gen, error_code ec);
  void end(const std::string& why);
  void on_body(std::string_view bytes) override;
  void on_comment(std::string_view text) override;
  void on_event(std::string_view id, bool has_id, std::string_view type,
                std::string_view data) override;

  tcp::socket socket_;
  sse_listener& listener_;
  response_parser parser_;
  sse_decoder decoder_;
  std::string request_;
  unsigned gen_ = 0;
  bool open_ = false;
  bool head_seen_ = false;
};

} // namespace parley::bench
