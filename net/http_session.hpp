#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/api.hpp"
#include "net/server_state.hpp"

namespace parley {

namespace beast = boost::beast;
namespace asio = boost::asio;

/// Limits a session enforces on every request (SPEC §2).
struct session_limits {
  size_t max_body = 64 * 1024;
  size_t max_header = 8 * 1024;
  std::chrono::seconds read_timeout{30}; ///< idle keep-alive and slowloris
};

/// One HTTP/1.1 connection: reads a request, hands it to the API, writes
/// the reply, repeats. Owned only by its pending handlers; runs on its own
/// strand, so its members are touched by one thread at a time.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(asio::ip::tcp::socket&& socket, std::shared_ptr<api> handler,
               std::shared_ptr<server_state> state, session_limits limits);

  /// Starts reading. Thread-safe (posts onto the strand).
  void run();

private:
  void do_read();
  void on_read(beast::error_code ec, size_t bytes);
  void on_response(http_response res);
  void start_stream(const http_request& req);
  void open_stream(const stream_params& params);
  void on_write(bool close, beast::error_code ec, size_t bytes);
  void reply_and_close(http::status status, const char* text);
  void do_close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<api> api_;
  std::shared_ptr<server_state> state_;
  session_limits limits_;
  std::shared_ptr<http_response> res_; // kept alive during async_write
  // About the request being answered, for the response and the log line.
  std::string method_;
  std::string log_target_;
  std::string request_id_;
  size_t endpoint_ = 0;     ///< route and method, for /metrics
  std::string cors_origin_; ///< the request's Origin, if it is parley.origin
  bool keep_alive_ = false;
  bool counted_ = false;
  std::chrono::steady_clock::time_point started_;
};

} // namespace parley
