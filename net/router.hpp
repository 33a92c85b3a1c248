#pragma once

#include <string>
#include <string_view>

#include <ostream> // boost/beast/http/verb.hpp needs it in Boost 1.74

#include <boost/beast/http/verb.hpp>

namespace parley {

/// Every endpoint of SPEC §3–§5.
enum class route {
  login,
  logout,        ///< clears the stream cookie (not in SPEC: docs/api.md)
  login_methods, ///< which logins are on (not in SPEC: docs/api.md)
  oauth_github,  ///< GET: off to GitHub's sign-in page
  oauth_github_callback, ///< GET: back from it
  auth_user,
  refresh_token,
  usernames,
  conversations, ///< GET list, POST create
  conversation,  ///< GET one
  other_participant,
  messages, ///< GET list, POST create
  read_messages,
  message_stream, ///< GET /api/messages (event stream)
  healthz,
  metrics,
  static_file, ///< the web client
};

/// The outcome of matching a request line.
struct route_match {
  enum class kind { found, not_found, method_not_allowed };
  kind outcome = kind::not_found;
  route target = route::static_file;
  std::string id;    ///< the raw {id} path segment, not yet validated
  std::string allow; ///< for 405: the methods the path accepts
};

/// Matches `path` (no query string) and `method` against the route table.
/// Pure: no I/O, unit-tested.
route_match match_route(boost::beast::http::verb method, std::string_view path);

/// The path pattern of `r` ("/api/conversations/{id}"), or "static" for the
/// web client: the route label of /metrics.
std::string_view route_pattern(route r);

} // namespace parley
