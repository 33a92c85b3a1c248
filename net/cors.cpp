#include "net/cors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "net/router.hpp"

namespace parley {

namespace {

// What a page from the origin may send besides the CORS-safe headers, and
// what it may read besides the CORS-safe response headers.
constexpr const char* allowed_headers
  = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, "
    "X-Request-Id";
constexpr const char* exposed_headers
  = "X-Request-Id, Retry-After, Allow, Idempotent-Replayed";
constexpr const char* preflight_max_age = "600";

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

} // namespace

std::string normalized_origin(std::string_view configured) {
  auto origin = lower(configured);
  while (!origin.empty() && origin.back() == '/')
    origin.pop_back();
  return origin;
}

bool origin_allowed(std::string_view origin_header,
                    std::string_view configured) {
  // Browsers send the serialised origin, scheme and host in lower case;
  // "null" (sandboxed pages, file:) never matches a configured origin.
  return !origin_header.empty()
         && origin_header == normalized_origin(configured);
}

namespace {

// The headers that let `origin` read an answer: one list for both forms.
std::array<std::pair<http::field, std::string>, 3>
cors_headers(std::string_view origin) {
  return {{{http::field::access_control_allow_origin, std::string{origin}},
           {http::field::access_control_allow_credentials, "true"},
           {http::field::access_control_expose_headers, exposed_headers}}};
}

} // namespace

void add_cors_headers(http_response& res, std::string_view origin) {
  if (!origin.empty())
    for (const auto& [name, value] : cors_headers(origin))
      res.set(name, value);
  res.set(http::field::vary, "Origin");
}

std::string cors_header_lines(std::string_view origin) {
  std::string lines;
  if (!origin.empty())
    for (const auto& [name, value] : cors_headers(origin))
      lines += std::string{http::to_string(name)} + ": " + value + "\r\n";
  return lines + "Vary: Origin\r\n";
}

bool is_preflight(const http_request& req) {
  return req.method() == http::verb::options
         && req.find(http::field::access_control_request_method) != req.end();
}

http_response preflight(const http_request& req, std::string_view configured) {
  auto origin = to_sv(req[http::field::origin]);
  if (!origin_allowed(origin, configured))
    return error_response(http::status::forbidden, "Origin not allowed");
  auto method
    = http::string_to_verb(req[http::field::access_control_request_method]);
  auto path = target_path(to_sv(req.target()));
  auto match = match_route(method, path);
  if (match.outcome == route_match::kind::not_found)
    return error_response(http::status::not_found, "Not found");
  if (match.outcome == route_match::kind::method_not_allowed) {
    auto res
      = error_response(http::status::method_not_allowed, "Method not allowed");
    res.set(http::field::allow, match.allow);
    return res;
  }
  http_response res{http::status::no_content, 11};
  add_cors_headers(res, origin);
  res.set(http::field::access_control_allow_methods,
          std::string{to_sv(req[http::field::access_control_request_method])});
  res.set(http::field::access_control_allow_headers, allowed_headers);
  res.set(http::field::access_control_max_age, preflight_max_age);
  res.prepare_payload();
  return res;
}

} // namespace parley
