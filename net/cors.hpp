#pragma once

#include <string>
#include <string_view>

#include "net/http_util.hpp"

namespace parley {

/// Cross-origin access for the one origin in `parley.origin` (SPEC §6): a web
/// client served from there may call the API with credentials (the cookie)
/// and read the answers. Other origins get no CORS headers, so browsers keep
/// their pages from reading anything. Pure functions: unit-tested.

/// `configured` as browsers send an Origin: lower case, no trailing '/'.
std::string normalized_origin(std::string_view configured);

/// Whether a request's Origin header names the configured origin.
bool origin_allowed(std::string_view origin_header,
                    std::string_view configured);

/// The headers that let `origin` read a response, with credentials; with
/// an empty `origin` (none allowed) none of them. Either way `Vary: Origin`,
/// since every answer depends on the Origin: caches must keep them apart.
void add_cors_headers(http_response& res, std::string_view origin);

/// The same headers as raw header lines ("Name: value\r\n"), for a response
/// built by hand (the event stream's head).
std::string cors_header_lines(std::string_view origin);

/// The answer to a CORS preflight (OPTIONS with Access-Control-Request-
/// Method) for `path`: 204 with what the API accepts when the origin is
/// allowed and the path takes the method; otherwise 403, 404 or 405 as JSON,
/// without CORS headers.
http_response preflight(const http_request& req, std::string_view configured);

/// Whether `req` is a preflight rather than a plain OPTIONS request.
bool is_preflight(const http_request& req);

} // namespace parley
