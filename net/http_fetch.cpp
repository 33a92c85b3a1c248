#include "net/http_fetch.hpp"

#include <memory>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>

#include "config/url.hpp"

namespace parley {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One request's connection. Owned by its pending handlers, which all run
// on one strand (the resolver's executor). A plain http
// URL uses only the TCP layer under the TLS stream (the tests' stand-in
// provider); https does the handshake first.
class fetch_op : public std::enable_shared_from_this<fetch_op> {
public:
  fetch_op(asio::io_context& ioc, asio::ssl::context& tls, url_parts url,
           fetch_request req, std::function<void(fetch_result)> done,
           fetch_limits limits)
      : resolver_(asio::make_strand(ioc)),
        deadline_(resolver_.get_executor()),
        stream_(resolver_.get_executor(), tls),
        url_(std::move(url)),
        done_(std::move(done)),
        limits_(limits) {
    req_.method(req.method);
    req_.target(url_.target);
    req_.version(11);
    req_.set(http::field::host, host_header());
    // GitHub's API refuses requests without a User-Agent.
    req_.set(http::field::user_agent, "Parley");
    req_.set(http::field::accept, req.accept);
    if (!req.authorization.empty())
      req_.set(http::field::authorization, req.authorization);
    if (!req.content_type.empty())
      req_.set(http::field::content_type, req.content_type);
    req_.body() = std::move(req.body);
    req_.prepare_payload();
    parser_.body_limit(limits_.max_body);
  }

  void run() {
    // Started on the strand too, like every handler after it.
    asio::dispatch(resolver_.get_executor(),
                   [self = shared_from_this()] { self->start(); });
  }

private:
  // The completion handler of `step`: ends the request on an error, else
  // goes on with `next`. Once the request has its answer (the deadline may
  // have given it), a late completion does nothing.
  auto then(const char* step, void (fetch_op::*next)()) {
    return
      [self = shared_from_this(), step, next](beast::error_code ec, auto&&...) {
        if (self->finished_)
          return;
        if (ec)
          return self->fail(step, ec);
        ((*self).*next)();
      };
  }

  // One deadline for the whole exchange, the name lookup included: that
  // runs on Asio's resolver thread and cannot be interrupted, so the
  // deadline answers without it, and its late result is dropped.
  void start() {
    deadline_.expires_after(limits_.timeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->complete_with_error(
          "timeout after " + std::to_string(self->limits_.timeout.count())
          + " s");
    });
    resolver_.async_resolve(
      url_.host, std::to_string(url_.port),
      [self = shared_from_this()](beast::error_code ec,
                                  tcp::resolver::results_type results) {
        if (self->finished_)
          return;
        if (ec)
          return self->fail("resolve", ec);
        self->connect(results);
      });
  }

  std::string host_header() const {
    auto host = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]"
                                                         : url_.host;
    bool default_port = url_.port == (url_.tls ? 443 : 80);
    return default_port ? host : host + ":" + std::to_string(url_.port);
  }

  void connect(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(stream_).async_connect(
      results, then("connect", &fetch_op::connected));
  }

  void connected() {
    if (url_.tls)
      return handshake();
    write();
  }

  void handshake() {
    // SNI (for a name: RFC 6066 allows no address there), and a
    // certificate that must name the host.
    beast::error_code not_address;
    asio::ip::make_address(url_.host, not_address);
    if (not_address
        && !SSL_set_tlsext_host_name(stream_.native_handle(),
                                     url_.host.c_str()))
      return fail("tls", beast::error_code{static_cast<int>(::ERR_get_error()),
                                           asio::error::get_ssl_category()});
    stream_.set_verify_mode(asio::ssl::verify_peer);
    stream_.set_verify_callback(asio::ssl::host_name_verification(url_.host));
    stream_.async_handshake(asio::ssl::stream_base::client,
                            then("tls handshake", &fetch_op::write));
  }

  // Runs `op` on what this request speaks over: the TLS stream, or for
  // plain http the TCP stream under it.
  template <class Op>
  void on_stream(Op op) {
    if (url_.tls)
      op(stream_);
    else
      op(stream_.next_layer());
  }

  void write() {
    on_stream([&](auto& s) {
      http::async_write(s, req_, then("write", &fetch_op::read));
    });
  }

  // The header first, then the body. Beast 1.74's async_read alone parses
  // eagerly, and when the body's first bytes come in the same read as the
  // header, the body's start clears the header's body_limit error: a reply
  // over the limit was read whole. Read on its own, the header reports it.
  void read() {
    on_stream([&](auto& s) {
      http::async_read_header(s, buffer_, parser_,
                              then("read header", &fetch_op::read_body));
    });
  }

  void read_body() {
    on_stream([&](auto& s) {
      http::async_read(s, buffer_, parser_, then("read", &fetch_op::finish));
    });
  }

  void finish() {
    auto& res = parser_.get();
    fetch_result result;
    result.status = res.result_int();
    result.body = std::move(res.body());
    complete(std::move(result));
  }

  void fail(const char* step, beast::error_code ec) {
    complete_with_error(std::string{step} + ": " + ec.message());
  }

  void complete_with_error(std::string error) {
    fetch_result result;
    result.error = std::move(error);
    complete(std::move(result));
  }

  // Answers once; whatever is still pending ends with operation_aborted.
  void complete(fetch_result result) {
    if (finished_)
      return;
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    done_(std::move(result));
  }

  tcp::resolver resolver_; // its executor is this request's strand
  asio::steady_timer deadline_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  url_parts url_;
  std::function<void(fetch_result)> done_;
  fetch_limits limits_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool finished_ = false;
};

} // namespace

void http_fetch(asio::io_context& ioc, asio::ssl::context& tls,
                fetch_request req, std::function<void(fetch_result)> done,
                fetch_limits limits) {
  auto url = parse_url(req.url);
  if (!url) {
    fetch_result result;
    result.error = "not an http(s) URL";
    return done(std::move(result));
  }
  std::make_shared<fetch_op>(ioc, tls, std::move(*url), std::move(req),
                             std::move(done), limits)
    ->run();
}

asio::ssl::context make_client_tls() {
  asio::ssl::context tls{asio::ssl::context::tls_client};
  tls.set_default_verify_paths();
  return tls;
}

} // namespace parley
