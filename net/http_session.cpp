#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "net/cors.hpp"
#include "net/http_metrics.hpp"
#include "net/sse_stream.hpp"

namespace parley {

http_session::http_session(asio::ip::tcp::socket&& socket,
                           std::shared_ptr<api> handler,
                           std::shared_ptr<server_state> state,
                           session_limits limits)
    : stream_(std::move(socket)),
      api_(std::move(handler)),
      state_(std::move(state)),
      limits_(limits) {}

void http_session::run() {
  // The socket was accepted onto this session's strand: start there.
  asio::dispatch(
    stream_.get_executor(),
    beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
  parser_.emplace();
  parser_->body_limit(limits_.max_body);
  parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header));
  // One deadline for the whole request: idle keep-alive and slow senders.
  stream_.expires_after(limits_.read_timeout);
  http::async_read(
    stream_, buffer_, *parser_,
    beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, size_t) {
  if (ec) {
    started_ = std::chrono::steady_clock::now();
    endpoint_ = unmatched_endpoint();
    cors_origin_.clear();
    method_ = "-";
    log_target_ = "-";
    request_id_ = make_request_id();
    if (ec == http::error::body_limit)
      return reply_and_close(http::status::payload_too_large,
                             "Request body too large");
    if (ec == http::error::header_limit)
      return reply_and_close(http::status::request_header_fields_too_large,
                             "Request headers too large");
    // Other parser errors are a malformed request; socket errors, timeouts
    // and a clean end of stream just end the connection.
    if (ec.category()
          == http::make_error_code(http::error::bad_target).category()
        && ec != http::error::end_of_stream
        && ec != http::error::partial_message)
      return reply_and_close(http::status::bad_request, "Malformed request");
    return do_close();
  }
  auto& req = parser_->get();
  started_ = std::chrono::steady_clock::now();
  method_ = std::string{to_sv(req.method_string())};
  log_target_ = redact_target(to_sv(req.target()));
  auto client_id = to_sv(req["X-Request-Id"]);
  request_id_ = is_sane_request_id(client_id) ? std::string{client_id}
                                              : make_request_id();
  keep_alive_ = req.keep_alive();
  auto origin = to_sv(req[http::field::origin]);
  cors_origin_ = origin_allowed(origin, api_->config().origin)
                   ? std::string{origin}
                   : std::string{};
  // The stream takes the socket over, so it branches off here, not in api.
  auto match = match_route(req.method(), target_path(to_sv(req.target())));
  endpoint_ = endpoint_of(match, req.method());
  if (is_preflight(req)) {
    cors_origin_.clear(); // preflight() adds its headers only when it allows
    return on_response(preflight(req, api_->config().origin));
  }
  if (match.outcome == route_match::kind::found
      && match.target == route::message_stream)
    return start_stream(req);
  ++state_->in_flight;
  counted_ = true;
  // The API may answer on a CAF thread: the responder posts back here.
  auto self = shared_from_this();
  api_->handle(req, [self](http_response res) {
    asio::post(self->stream_.get_executor(),
               [self, res = std::move(res)]() mutable {
                 self->on_response(std::move(res));
               });
  });
}

void http_session::on_response(http_response res) {
  res.set("X-Request-Id", request_id_);
  add_cors_headers(res, cors_origin_);
  res.keep_alive(keep_alive_ && !state_->draining);
  auto took = std::chrono::steady_clock::now() - started_;
  api_->counters()->http.observe(endpoint_, res.result_int(), took);
  auto ms = std::chrono::duration<double, std::milli>(took).count();
  spdlog::info("{} {} {} {:.1f}ms id={}", method_, log_target_,
               res.result_int(), ms, request_id_);
  res_ = std::make_shared<http_response>(std::move(res));
  stream_.expires_after(limits_.read_timeout);
  http::async_write(stream_, *res_,
                    beast::bind_front_handler(&http_session::on_write,
                                              shared_from_this(),
                                              res_->need_eof()));
}

void http_session::start_stream(const http_request& req) {
  auto checked = api_->check_stream(req);
  if (auto* res = std::get_if<http_response>(&checked)) {
    keep_alive_ = false;
    return on_response(std::move(*res));
  }
  open_stream(std::get<stream_params>(checked));
}

void http_session::open_stream(const stream_params& params) {
  // The token is valid; its user must also exist, or the answer is 401
  // before any byte of the stream. The actor's first inbox read tells
  // (sse_stream holds the headers until then): one read per open.
  spdlog::info("GET {} stream opening user={} cursor={} id={}", log_target_,
               params.user_id, params.resume_after, request_id_);
  // The socket moves to the stream; this session ends when we return.
  stream_.expires_never();
  auto stream = std::make_shared<sse_stream>(std::move(stream_),
                                             api_->config().sse_queue_limit,
                                             api_->counters(), request_id_);
  auto actor = api_->spawn_stream_actor(params, stream);
  auto prelude = api_->stream_prelude(request_id_, cors_origin_);
  // The session ends here: its origin can move to the stream.
  stream->start(std::move(prelude), std::move(actor),
                cors_origin_.empty() ? nullptr
                                     : std::make_shared<const std::string>(
                                       std::move(cors_origin_)));
}

void http_session::on_write(bool close, beast::error_code ec, size_t) {
  if (counted_) {
    --state_->in_flight;
    counted_ = false;
  }
  res_.reset();
  if (ec || close)
    return do_close();
  do_read();
}

void http_session::reply_and_close(http::status status, const char* text) {
  keep_alive_ = false;
  on_response(error_response(status, text));
}

void http_session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  // Nothing else to do: the last handler releases the session.
}

} // namespace parley
