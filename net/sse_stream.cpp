#include "net/sse_stream.hpp"

#include <array>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/events.hpp"
#include "net/cors.hpp"
#include "net/http_metrics.hpp"
#include "net/http_util.hpp"

namespace parley {

namespace asio = boost::asio;

namespace {

// Buffers gathered into one writev.
constexpr size_t max_batch = 64;

// The log's words for a refusal (never the token or the user's name).
const char* refusal_text(const refusal& why) {
  switch (why.reason) {
  case refusal::unknown_user:
    return "401, the user does not exist";
  case refusal::too_many_streams:
    return "429, the user has too many streams open";
  case refusal::too_many_opens:
    return "429, the user opens streams too often";
  }
  return "refused";
}

http_response refusal_response(const refusal& why) {
  switch (why.reason) {
  case refusal::unknown_user:
    return unauthorized();
  case refusal::too_many_streams:
    return too_many_streams();
  case refusal::too_many_opens:
    return too_many_requests(why.retry_after);
  }
  return unauthorized();
}

} // namespace

sse_stream::sse_stream(beast::tcp_stream&& stream, size_t queue_limit,
                       std::shared_ptr<metrics> counters,
                       std::string request_id,
                       std::chrono::steady_clock::duration write_timeout)
    : stream_(std::move(stream)),
      queue_limit_(queue_limit),
      write_timeout_(write_timeout),
      counters_(std::move(counters)),
      request_id_(std::move(request_id)) {
  // Counted from here, headers sent or not: the server's stop waits for
  // this gauge, and a stream still waiting for its first read must get its
  // headers (or its 401) before the io threads end.
  metrics::add(counters_->open_streams);
}

sse_stream::~sse_stream() {
  metrics::add(counters_->open_streams, -1);
  if (!refused_) // a refusal logged its own line
    spdlog::info("stream closed id={}", request_id_);
  // The one place that tells the actor side the stream is gone.
  if (actor_)
    caf::anon_send(actor_, closed_atom::value);
}

void sse_stream::start(shared_bytes prelude, caf::actor actor,
                       shared_bytes cors_origin) {
  actor_ = std::move(actor);
  prelude_ = std::move(prelude);
  cors_origin_ = std::move(cors_origin);
  // Writes try the socket at once and never wait (do_write).
  beast::error_code ec;
  stream_.socket().non_blocking(true, ec);
  try_first_ = !ec; // a blocking socket gets asynchronous writes only
  if (ec)
    spdlog::warn("stream id={}: non-blocking mode failed: {}", request_id_,
                 ec.message());
  do_watch();
}

void sse_stream::write(shared_bytes bytes) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
               self->enqueue(std::move(bytes));
             });
}

void sse_stream::post_to_strand(void (sse_stream::*handler)()) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), handler] { ((*self).*handler)(); });
}

void sse_stream::close() {
  post_to_strand(&sse_stream::do_end);
}

void sse_stream::do_end() {
  if (closed_ || close_when_written_)
    return; // already ending once its last bytes are written
  // Headers still held (the inbox read failed): send them, then end, so the
  // client sees a 200 that ends and EventSource retries, not a connection
  // cut before any answer.
  if (prelude_)
    return send_then_close(take_prelude());
  do_close();
}

void sse_stream::open() {
  post_to_strand(&sse_stream::do_open);
}

void sse_stream::do_open() {
  if (closed_ || close_when_written_ || !prelude_)
    return;
  push(take_prelude());
}

void sse_stream::refuse(refusal why) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), why] { self->do_refuse(why); });
}

void sse_stream::do_refuse(refusal why) {
  if (closed_ || close_when_written_)
    return; // already ending once its last bytes are written
  if (!prelude_)
    return do_close(); // the stream is open: too late for a status
  spdlog::info("stream refused: {} id={}", refusal_text(why), request_id_);
  refused_ = true;
  prelude_.reset();
  auto res = refusal_response(why);
  counters_->http.count(stream_endpoint(), res.result_int());
  add_cors_headers(res, cors_origin_ ? *cors_origin_ : std::string{});
  cors_origin_.reset();
  send_then_close(std::make_shared<const std::string>(
    response_bytes(std::move(res), request_id_)));
}

shared_bytes sse_stream::take_prelude() {
  cors_origin_.reset(); // a refusal is no longer possible
  metrics::add(counters_->streams_total);
  counters_->http.count(stream_endpoint(), 200);
  return std::move(prelude_);
}

void sse_stream::push(shared_bytes bytes) {
  queued_bytes_ += bytes->size();
  queue_.push_back(std::move(bytes));
  if (in_flight_ == 0)
    do_write();
}

void sse_stream::send_then_close(shared_bytes last) {
  close_when_written_ = true;
  push(std::move(last));
}

void sse_stream::notify_drained(caf::actor listener) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), listener = std::move(listener)] {
               if (self->closed_)
                 return; // the actor hears closed_atom instead
               if (self->head_ == self->queue_.size())
                 caf::anon_send(listener, drained_atom::value);
               else
                 self->drain_listener_ = listener;
             });
}

void sse_stream::enqueue(shared_bytes bytes) {
  do_open(); // the first write: the user exists, the headers go first
  if (closed_ || close_when_written_)
    return;
  queued_bytes_ += bytes->size();
  if (queued_bytes_ > queue_limit_) {
    spdlog::info("event stream cut: client too slow ({} bytes queued)",
                 queued_bytes_);
    metrics::add(counters_->streams_cut_slow);
    return do_close();
  }
  // Checked here, not by a timer per write: a client whose write stays
  // unfinished this long still gets a heartbeat queued every interval.
  if (in_flight_ > 0
      && std::chrono::steady_clock::now() - write_started_ > write_timeout_) {
    spdlog::info(
      "event stream cut: a write unfinished after {} ms",
      std::chrono::duration_cast<std::chrono::milliseconds>(write_timeout_)
        .count());
    metrics::add(counters_->streams_cut_slow);
    return do_close();
  }
  queue_.push_back(std::move(bytes));
  if (in_flight_ == 0)
    do_write();
}

namespace {

// Some of the queue's buffers, as Asio's buffer sequences want them.
struct buffer_range {
  const asio::const_buffer* first;
  const asio::const_buffer* last;
  const asio::const_buffer* begin() const {
    return first;
  }
  const asio::const_buffer* end() const {
    return last;
  }
};

} // namespace

void sse_stream::do_write() {
  while (head_ < queue_.size() && !closed_) {
    // Gather what is queued into one writev: fewer syscalls under load.
    std::array<asio::const_buffer, max_batch> buffers;
    auto count = std::min(queue_.size() - head_, max_batch);
    for (size_t i = 0; i < count; ++i)
      buffers[i] = asio::buffer(*queue_[head_ + i]);
    // First without waiting (the socket is non-blocking): the kernel usually
    // takes it all, and then the write needs no asynchronous operation, no
    // completion handler and no allocation. On the socket itself: Beast's
    // stream would arm and cancel its timer for every write.
    size_t written = 0;
    if (try_first_) {
      beast::error_code ec;
      written = stream_.socket().write_some(
        buffer_range{buffers.data(), buffers.data() + count}, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again)
        written = 0;
      else if (ec)
        return do_close();
    }
    auto batch_end = head_ + count;
    auto offset = release(written);
    if (head_ < batch_end)
      return write_rest(batch_end - head_, offset);
  }
  compact();
  if (close_when_written_ && head_ == queue_.size())
    return do_close();
  if (drain_listener_ && head_ == queue_.size()) {
    caf::anon_send(drain_listener_, drained_atom::value);
    drain_listener_ = nullptr;
  }
}

void sse_stream::drop_front() {
  queued_bytes_ -= queue_[head_]->size();
  queue_[head_++].reset();
}

size_t sse_stream::release(size_t written) {
  while (head_ < queue_.size() && written >= queue_[head_]->size()) {
    written -= queue_[head_]->size();
    drop_front();
  }
  return written;
}

void sse_stream::write_rest(size_t count, size_t offset) {
  std::vector<asio::const_buffer> rest;
  rest.reserve(count);
  for (size_t i = 0; i < count; ++i)
    rest.emplace_back(asio::buffer(*queue_[head_ + i]));
  rest.front() += offset; // the part the kernel already took
  in_flight_ = count;
  write_started_ = std::chrono::steady_clock::now();
  asio::async_write(
    stream_.socket(), rest,
    beast::bind_front_handler(&sse_stream::on_write, shared_from_this()));
}

void sse_stream::on_write(beast::error_code ec, size_t) {
  if (ec)
    return do_close();
  for (; in_flight_ > 0; --in_flight_)
    drop_front();
  do_write(); // what was queued meanwhile, then compact and drain notice
}

void sse_stream::compact() {
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
    if (queue_.capacity() > 8)
      queue_.shrink_to_fit(); // an idle stream keeps no big buffer
  } else if (head_ >= max_batch && 2 * head_ >= queue_.size()) {
    // Amortised O(1): move the rest only once half the vector is written.
    queue_.erase(queue_.begin(), queue_.begin() + head_);
    head_ = 0;
  }
}

void sse_stream::do_watch() {
  // Clients send nothing on a stream; the read ends when they go away.
  stream_.socket().async_read_some(
    asio::buffer(watch_buffer_),
    beast::bind_front_handler(&sse_stream::on_watch, shared_from_this()));
}

void sse_stream::on_watch(beast::error_code ec, size_t) {
  if (ec)
    return do_close();
  do_watch();
}

void sse_stream::do_close() {
  if (closed_)
    return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
  if (actor_)
    caf::anon_send(actor_, closed_atom::value);
}

} // namespace parley
