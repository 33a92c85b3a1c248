#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

#include "net/http_session.hpp"

namespace parley {

/// Accepts connections and starts an `http_session` for each, every one on
/// a strand of its own.
class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens; throws boost::system::system_error if it cannot.
  listener(asio::io_context& ioc, const asio::ip::tcp::endpoint& endpoint,
           std::shared_ptr<api> handler, std::shared_ptr<server_state> state,
           session_limits limits);

  /// The bound endpoint (with the real port when 0 was asked for).
  asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts accepting.
  void run();

  /// Stops accepting. Thread-safe (posts onto the acceptor's strand).
  void stop();

private:
  void do_accept();
  void on_accept(beast::error_code ec, asio::ip::tcp::socket socket);

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<api> api_;
  std::shared_ptr<server_state> state_;
  session_limits limits_;
};

} // namespace parley
