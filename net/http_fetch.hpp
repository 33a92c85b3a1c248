#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>

namespace parley {

/// One outbound request (the server as a client: GitHub's OAuth endpoints).
struct fetch_request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string url; ///< absolute http:// or https:// URL (config/url.hpp)
  std::string accept = "application/json";
  std::string content_type; ///< with a body
  std::string authorization;
  std::string body;
};

/// What came back: a status and body, or `error` (no response at all: DNS,
/// connect, TLS, timeout, an oversized or malformed reply).
struct fetch_result {
  std::string error; ///< empty on a response
  unsigned status = 0;
  std::string body;
};

/// Limits of every outbound request.
struct fetch_limits {
  std::chrono::seconds timeout{10}; ///< whole exchange, connect to last byte
  size_t max_body = 1024 * 1024;
};

/// Sends `req` asynchronously on `ioc` and calls `done` once, on an Asio
/// thread, with the response or the failure. https verifies the peer
/// against `tls`'s trust store and the URL's host name. Never blocks.
void http_fetch(boost::asio::io_context& ioc, boost::asio::ssl::context& tls,
                fetch_request req, std::function<void(fetch_result)> done,
                fetch_limits limits = {});

/// A TLS client context that trusts the system's CA certificates.
boost::asio::ssl::context make_client_tls();

} // namespace parley
