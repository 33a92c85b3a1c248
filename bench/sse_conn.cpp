#include "sse_conn.hpp"

#include <array>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

namespace parley::bench {

namespace {

// Read buffer shared by every stream of the thread: a stream only needs
// one while it reads, and reads never interleave on one thread.
thread_local std::array<char, 64 * 1024> shared_buffer;

// Reads per wake-up before yielding to other handlers.
constexpr int max_reads_per_wakeup = 8;

} // namespace

sse_conn::sse_conn(asio::io_context& ioc, uint32_t idx, uint32_t usr,
                   sse_listener& listener)
    : index(idx), user(usr), socket_(ioc), listener_(listener) {}

void sse_conn::open(const tcp::endpoint& server,
                    const asio::ip::address_v4& source, std::string request) {
  drop();
  open_ = true;
  head_seen_ = false;
  parser_.reset();
  decoder_ = sse_decoder{};
  request_ = std::move(request);
  error_code ec;
  open_bound(socket_, source, ec);
  if (ec)
    return end("socket: " + ec.message());
  socket_.async_connect(
    server, [this, gen = gen_](error_code e) { on_connect(gen, e); });
}

void sse_conn::drop() {
  ++gen_; // completions of the old socket are now ignored
  open_ = false;
  error_code ignored;
  socket_.close(ignored);
}

void sse_conn::on_connect(unsigned gen, error_code ec) {
  if (gen != gen_)
    return;
  if (ec)
    return end("connect: " + ec.message());
  asio::async_write(socket_, asio::buffer(request_),
                    [this, gen](error_code e, size_t) { on_written(gen, e); });
}

void sse_conn::on_written(unsigned gen, error_code ec) {
  if (gen != gen_)
    return;
  std::string{}.swap(request_);
  if (ec)
    return end("write: " + ec.message());
  socket_.non_blocking(true, ec);
  do_wait();
}

void sse_conn::do_wait() {
  socket_.async_wait(tcp::socket::wait_read, [this, gen = gen_](error_code ec) {
    on_readable(gen, ec);
  });
}

void sse_conn::on_readable(unsigned gen, error_code ec) {
  if (gen != gen_)
    return;
  if (ec)
    return end("wait: " + ec.message());
  for (int i = 0; i < max_reads_per_wakeup; ++i) {
    auto n = socket_.read_some(asio::buffer(shared_buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      return do_wait();
    if (ec == asio::error::eof)
      return end("closed by the server");
    if (ec)
      return end("read: " + ec.message());
    size_t used = 0;
    auto r = parser_.feed(shared_buffer.data(), n, used, *this);
    if (gen != gen_)
      return; // a listener callback dropped or reopened us
    if (!head_seen_ && parser_.has_head()) {
      head_seen_ = true; // a head with no body at all (e.g. 204)
      listener_.on_head(*this, parser_.head().status);
      if (gen != gen_)
        return;
    }
    if (r == response_parser::result::error)
      return end("malformed response");
    if (r == response_parser::result::done)
      return end("response ended (status "
                 + std::to_string(parser_.head().status) + ")");
  }
  do_wait();
}

void sse_conn::end(const std::string& why) {
  drop();
  listener_.on_closed(*this, why);
}

void sse_conn::on_body(std::string_view bytes) {
  if (!head_seen_) {
    head_seen_ = true;
    listener_.on_head(*this, parser_.head().status);
  }
  if (parser_.head().status == 200 && open_)
    decoder_.feed(bytes, *this);
}

void sse_conn::on_comment(std::string_view) {
  ++comments;
  last_comment_ns = now_ns();
  listener_.on_comment(*this);
}

void sse_conn::on_event(std::string_view id, bool has_id, std::string_view type,
                        std::string_view data) {
  listener_.on_event(*this, id, has_id, type, data);
}

} // namespace parley::bench
