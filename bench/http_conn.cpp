#include "http_conn.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

namespace parley::bench {

http_conn::http_conn(asio::io_context& ioc, tcp::endpoint server,
                     source_pool& sources, std::chrono::milliseconds timeout)
    : socket_(ioc),
      timer_(ioc),
      server_(server),
      sources_(sources),
      timeout_(timeout),
      rbuf_(16 * 1024) {}

void http_conn::request(std::string bytes, done_fn done) {
  busy_ = true;
  request_ = std::move(bytes);
  done_ = std::move(done);
  body_.clear();
  parser_.reset();
  got_bytes_ = retried_ = timed_out_ = false;
  ++gen_;
  auto req = ++req_;
  // One deadline for the whole exchange, connect and a retry included.
  timer_.expires_after(timeout_);
  timer_.async_wait([this, req](error_code ec) {
    if (ec || req != req_ || !busy_)
      return;
    timed_out_ = true;
    error_code ignored;
    socket_.close(ignored); // the pending operation fails and reports
  });
  if (connected_)
    do_write();
  else
    do_connect();
}

void http_conn::close() {
  error_code ignored;
  socket_.close(ignored);
  connected_ = false;
}

void http_conn::do_connect() {
  error_code ec;
  if (socket_.is_open())
    socket_.close(ec);
  reused_ = false;
  open_bound(socket_, sources_.next(), ec);
  if (ec)
    return fail("socket: " + ec.message());
  socket_.async_connect(
    server_, [this, gen = gen_](error_code e) { on_connect(gen, e); });
}

void http_conn::on_connect(unsigned gen, error_code ec) {
  if (gen != gen_)
    return;
  if (ec)
    return fail("connect: " + ec.message());
  connected_ = true;
  do_write();
}

void http_conn::do_write() {
  asio::async_write(
    socket_, asio::buffer(request_),
    [this, gen = gen_](error_code ec, size_t n) { on_write(gen, ec, n); });
}

void http_conn::on_write(unsigned gen, error_code ec, size_t) {
  if (gen != gen_)
    return;
  if (ec)
    return fail("write: " + ec.message());
  do_read();
}

void http_conn::do_read() {
  socket_.async_read_some(
    asio::buffer(rbuf_),
    [this, gen = gen_](error_code ec, size_t n) { on_read(gen, ec, n); });
}

void http_conn::on_read(unsigned gen, error_code ec, size_t n) {
  if (gen != gen_)
    return;
  if (ec)
    return fail(timed_out_ ? "timeout" : "read: " + ec.message());
  got_bytes_ = true;
  size_t used = 0;
  auto r = parser_.feed(rbuf_.data(), n, used, *this);
  if (r == response_parser::result::error)
    return fail("malformed response");
  if (r == response_parser::result::need_more)
    return do_read();
  reused_ = true;
  if (parser_.head().close)
    close();
  finish(parser_.head().status, std::move(body_));
}

void http_conn::on_body(std::string_view bytes) {
  body_.append(bytes);
}

void http_conn::fail(const std::string& why) {
  bool stale = reused_ && !got_bytes_ && !retried_ && !timed_out_;
  close();
  if (stale) {
    // The server closed an idle keep-alive connection as we reused it.
    retried_ = true;
    ++gen_;
    parser_.reset();
    return do_connect();
  }
  finish(0, why);
}

void http_conn::finish(int status, std::string body) {
  busy_ = false;
  ++gen_;
  ++req_;
  timer_.cancel();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done)
    done(status, body);
}

} // namespace parley::bench
