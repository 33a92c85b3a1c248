#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>
#include <caf/error.hpp>
#include <nlohmann/json.hpp>

namespace parley {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// Beast 1.74 hands out boost::string_view; the rest of the code speaks std.
inline std::string_view to_sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

/// A JSON response (`Content-Type: application/json; charset=utf-8`).
http_response json_response(http::status status, const nlohmann::json& body);

/// `{"message": text}` with `status` (SPEC §2).
http_response error_response(http::status status, std::string_view text);

/// 401 for a missing, invalid or expired token, or one whose user is gone.
http_response unauthorized();

/// 429 with `Retry-After: wait` (seconds): past a per-user allowance.
http_response too_many_requests(int64_t wait);

/// 429 for an event stream whose user has as many streams open as allowed.
http_response too_many_streams();

/// `res` as the bytes of a whole response (`Connection: close`,
/// `X-Request-Id`), for an event stream refused after its socket left the
/// HTTP session.
std::string response_bytes(http_response res, std::string_view request_id);

/// 422 `{"message":"Validation failed","errors":{field: text}}`.
http_response validation_error(std::string_view field, std::string_view text);

/// Maps an actor-side error to HTTP; `not_found_text` names the resource.
/// ec::rate_limited is a 429 with `Retry-After`.
http_response error_response(const caf::error& err,
                             std::string_view not_found_text);

/// Splits "a=1&b=x%20y" into decoded pairs (the first of repeated keys wins;
/// malformed escapes are kept verbatim).
std::map<std::string, std::string> parse_query(std::string_view query);

/// The path of a request target ("/a/b?x=1" -> "/a/b").
inline std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

/// The decoded query of a request target (empty without '?').
std::map<std::string, std::string> target_query(std::string_view target);

/// Value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookie_value(std::string_view header,
                                        std::string_view name);

/// The request target with the values of secret query parameters (token,
/// code, state) replaced by "REDACTED": what the log may show.
std::string redact_target(std::string_view target);

/// The client's X-Request-Id if it is sane (1–64 of [A-Za-z0-9._-]).
bool is_sane_request_id(std::string_view id);

/// A fresh random request id (16 hex digits).
std::string make_request_id();

/// `bytes` random bytes as lower-case hex; nullopt if the system has none.
std::optional<std::string> random_hex(size_t bytes);

/// A Set-Cookie value as Parley sets its cookies: `name=value; HttpOnly;
/// SameSite=<same_site>; Path=<path>; Max-Age=<max_age>`, plus `; Secure`
/// when the public `origin` is https. "" with max_age 0 clears the cookie.
std::string set_cookie_value(std::string_view name, std::string_view value,
                             std::string_view same_site, std::string_view path,
                             int64_t max_age, std::string_view origin);

/// 307 to `location`, never stored by a cache (it may carry a token).
http_response temporary_redirect(const std::string& location);

} // namespace parley
