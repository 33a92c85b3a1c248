#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http_parser.hpp"
#include "net_util.hpp"

namespace parley::bench {

/// One keep-alive HTTP/1.1 client connection. One request at a time (no
/// pipelining); a connection the server closed is reopened for the next
/// request, and a request that met a stale keep-alive connection before any
/// answer byte is sent once more.
class http_conn final : private body_sink {
public:
  /// status 0 means no answer (the body then holds the reason).
  using done_fn = std::function<void(int status, const std::string& body)>;

  http_conn(asio::io_context& ioc, tcp::endpoint server, source_pool& sources,
            std::chrono::milliseconds timeout);

  /// Sends `bytes` (a whole request); `done` runs once, on the io thread.
  /// Only when idle().
  void request(std::string bytes, done_fn done);

  bool idle() const {
    return !busy_;
  }

  /// Closes the socket; a pending request fails.
  void close();

private:
  void do_connect();
  void on_connect(unsigned gen, error_code ec);
  void do_write();
  void on_write(unsigned gen, error_code ec, size_t);
  void do_read();
  void on_read(unsigned gen, error_code ec, size_t n);
  void fail(const std::string& why);
  void finish(int status, std::string body);
  void on_body(std::string_view bytes) override;

  tcp::socket socket_;
  asio::steady_timer timer_;
  tcp::endpoint server_;
  source_pool& sources_;
  std::chrono::milliseconds timeout_;
  response_parser parser_;
  std::vector<char> rbuf_;
  std::string request_;
  std::string body_;
  done_fn done_;
  unsigned gen_ = 0; // ignores completions of an earlier socket or request
  unsigned req_ = 0; // ignores the timer of an earlier request
  bool busy_ = false;
  bool connected_ = false;
  bool reused_ = false; // this socket already served a response
  bool got_bytes_ = false;
  bool retried_ = false;
  bool timed_out_ = false;
};

} // namespace parley::bench
