#include "net/listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

namespace parley {

listener::listener(asio::io_context& ioc,
                   const asio::ip::tcp::endpoint& endpoint,
                   std::shared_ptr<api> handler,
                   std::shared_ptr<server_state> state, session_limits limits)
    : ioc_(ioc),
      strand_(asio::make_strand(ioc)),
      acceptor_(strand_),
      retry_timer_(strand_),
      api_(std::move(handler)),
      state_(std::move(state)),
      limits_(limits) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void listener::run() {
  asio::post(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  if (!acceptor_.is_open())
    return;
  acceptor_.async_accept(
    asio::make_strand(ioc_),
    beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open())
    return;
  if (ec) {
    // Typically EMFILE: wait a little instead of spinning on the error.
    spdlog::warn("accept failed: {}", ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e)
        self->do_accept();
    });
    return;
  }
  // Events and replies go out as written: Nagle's algorithm would hold a
  // small write while an earlier one waits for the client's delayed ACK.
  beast::error_code ignored; // an option refused costs only latency
  socket.set_option(asio::ip::tcp::no_delay{true}, ignored);
  std::make_shared<http_session>(std::move(socket), api_, state_, limits_)
    ->run();
  do_accept();
}

} // namespace parley
