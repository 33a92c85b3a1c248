#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace itest {

/// Request or response header fields, in wire order (names may repeat).
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One HTTP response as the client received it.
struct http_response {
  int status = 0;
  header_list headers;
  std::string body;

  /// The first header named `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;

  /// Every header named `name` (case-insensitive), e.g. all Set-Cookie lines.
  std::vector<std::string> headers_named(std::string_view name) const;

  /// True if a header named `name` is present (even with an empty value).
  bool has_header(std::string_view name) const;

  /// The body parsed as JSON; throws std::runtime_error (with the body) if
  /// it is not JSON, so a test fails with the offending text in its report.
  nlohmann::json json() const;
};

/// Sends one request on a fresh TCP connection to 127.0.0.1:`port` and
/// reads the response. Sets Host and, for a body or a POST/PUT/PATCH,
/// Content-Length; everything else (Content-Type, Authorization, …) comes
/// from `headers`. Every socket operation is bounded by 10 s. Throws
/// std::runtime_error if no response could be read.
/// Thread-safe: yes (no shared state).
http_response request(std::uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body = {},
                      const header_list& headers = {});

/// Writes `bytes` verbatim on a fresh connection, then reads one response.
/// For requests Beast would refuse to serialise (oversized lines, invalid
/// bytes). A write error is tolerated when a response still arrives: a
/// server may answer and close before it has read everything we sent.
/// Thread-safe: yes.
http_response raw_request(std::uint16_t port, const std::string& bytes);

/// Percent-encodes `text` for use in a query string.
std::string url_encode(std::string_view text);

/// The value of `name` in a query string or form body ("a=1&b=x%20y"):
/// the first one, %XX and '+' decoded (a malformed escape kept as it is);
/// "" when absent.
std::string form_value(std::string_view text, std::string_view name);

/// form_value of the query of `url` (after its '?').
std::string query_param(std::string_view url, std::string_view name);

} // namespace itest
