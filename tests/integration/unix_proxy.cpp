#include "unix_proxy.hpp"

#include <unistd.h>

#include <array>
#include <stdexcept>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace itest {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using boost::system::error_code;

namespace {

/// One forwarded connection: two sockets and a pump each way. Owned by its
/// pending handlers; the proxy keeps only weak_ptrs to cut it.
class link : public std::enable_shared_from_this<link> {
public:
  link(local::socket client, local::socket upstream)
      : client_(std::move(client)), upstream_(std::move(upstream)) {}

  void start() {
    do_read(client_, upstream_, to_upstream_);
    do_read(upstream_, client_, to_client_);
  }

  void close() {
    error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

private:
  using buffer = std::array<char, 16 * 1024>;

  // The references point into *this, which the captured shared_ptr keeps alive.
  void do_read(local::socket& from, local::socket& to, buffer& data) {
    from.async_read_some(asio::buffer(data),
                         [self = shared_from_this(), &from, &to,
                          &data](error_code ec, std::size_t n) {
                           self->on_read(ec, n, from, to, data);
                         });
  }

  void on_read(error_code ec, std::size_t n, local::socket& from,
               local::socket& to, buffer& data) {
    if (ec)
      return close(); // either side gone: cut both, like a dead network
    asio::async_write(to, asio::buffer(data.data(), n),
                      [self = shared_from_this(), &from, &to,
                       &data](error_code ec, std::size_t) {
                        if (ec)
                          return self->close();
                        self->do_read(from, to, data);
                      });
  }

  local::socket client_;
  local::socket upstream_;
  buffer to_upstream_{};
  buffer to_client_{};
};

} // namespace

/// Everything the io thread touches; only that thread uses it while it runs.
struct unix_proxy::state {
  asio::io_context io;
  local::acceptor acceptor{io};
  std::vector<std::weak_ptr<link>> links;
  std::string target;
  std::atomic<std::size_t>* accepted = nullptr;

  void do_accept() {
    acceptor.async_accept([this](error_code ec, local::socket client) {
      on_accept(ec, std::move(client));
    });
  }

  void on_accept(error_code ec, local::socket client) {
    if (ec)
      return; // the acceptor was closed: stop accepting
    ++*accepted;
    local::socket upstream{io};
    upstream.connect(local::endpoint{target}, ec);
    if (!ec) {
      auto forwarded
        = std::make_shared<link>(std::move(client), std::move(upstream));
      links.push_back(forwarded);
      forwarded->start();
    }
    do_accept();
  }

  void cut_everything() {
    error_code ignored;
    acceptor.close(ignored);
    for (auto& weak : links)
      if (auto forwarded = weak.lock())
        forwarded->close();
    links.clear();
  }
};

unix_proxy::unix_proxy(std::string listen_path, std::string target_path)
    : listen_path_(std::move(listen_path)),
      target_path_(std::move(target_path)) {}

unix_proxy::~unix_proxy() {
  stop();
}

void unix_proxy::start() {
  if (state_)
    throw std::logic_error("unix_proxy already started");
  ::unlink(listen_path_.c_str());
  auto fresh = std::make_shared<state>();
  fresh->target = target_path_;
  fresh->accepted = &accepted_;
  error_code ec;
  fresh->acceptor.open(local{}, ec);
  if (!ec)
    fresh->acceptor.bind(local::endpoint{listen_path_}, ec);
  if (!ec)
    fresh->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("proxy cannot listen at " + listen_path_ + ": "
                             + ec.message());
  fresh->do_accept();
  state_ = fresh;
  thread_ = std::thread{[fresh] { fresh->io.run(); }};
}

void unix_proxy::stop() {
  if (!state_)
    return;
  // Closing on the io thread: the sockets are not thread-safe. Once every
  // pending operation has completed with an error, run() returns.
  asio::post(state_->io, [s = state_] { s->cut_everything(); });
  thread_.join();
  state_.reset();
  ::unlink(listen_path_.c_str());
}

} // namespace itest
