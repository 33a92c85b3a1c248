#include "net/router.hpp"

#include <vector>

namespace parley {

namespace {

using boost::beast::http::verb;

// One path pattern; "{id}" matches a single non-empty segment.
struct entry {
  std::string_view pattern;
  std::vector<std::pair<verb, route>> methods;
};

const std::vector<entry>& table() {
  static const std::vector<entry> routes = {
    {"/api/login", {{verb::post, route::login}}},
    {"/api/logout", {{verb::post, route::logout}}},
    {"/api/login_methods", {{verb::get, route::login_methods}}},
    {"/api/oauth/github", {{verb::get, route::oauth_github}}},
    {"/api/oauth/github/callback", {{verb::get, route::oauth_github_callback}}},
    {"/api/auth_user", {{verb::get, route::auth_user}}},
    {"/api/refresh_token", {{verb::post, route::refresh_token}}},
    {"/api/usernames", {{verb::get, route::usernames}}},
    {"/api/conversations",
     {{verb::get, route::conversations}, {verb::post, route::conversations}}},
    {"/api/conversations/{id}", {{verb::get, route::conversation}}},
    {"/api/conversations/{id}/other_participant",
     {{verb::get, route::other_participant}}},
    {"/api/conversations/{id}/messages",
     {{verb::get, route::messages}, {verb::post, route::messages}}},
    {"/api/conversations/{id}/read_messages",
     {{verb::post, route::read_messages}}},
    {"/api/messages", {{verb::get, route::message_stream}}},
    {"/healthz", {{verb::get, route::healthz}}},
    {"/metrics", {{verb::get, route::metrics}}},
  };
  return routes;
}

// Matches segment by segment; fills `id` from the "{id}" segment.
bool matches(std::string_view pattern, std::string_view path, std::string& id) {
  while (!pattern.empty() && !path.empty()) {
    auto p_end = pattern.find('/', 1);
    auto s_end = path.find('/', 1);
    auto p_seg = pattern.substr(0, p_end);
    auto s_seg = path.substr(0, s_end);
    if (p_seg == "/{id}") {
      if (s_seg.size() < 2)
        return false;
      id = std::string{s_seg.substr(1)};
    } else if (p_seg != s_seg) {
      return false;
    }
    pattern = p_end == std::string_view::npos ? "" : pattern.substr(p_end);
    path = s_end == std::string_view::npos ? "" : path.substr(s_end);
  }
  return pattern.empty() && path.empty();
}

std::string allow_header(const entry& e) {
  std::string allow;
  for (const auto& [method, r] : e.methods) {
    if (!allow.empty())
      allow += ", ";
    allow += std::string{boost::beast::http::to_string(method)};
  }
  return allow;
}

} // namespace

route_match match_route(verb method, std::string_view path) {
  route_match result;
  for (const auto& e : table()) {
    std::string id;
    if (!matches(e.pattern, path, id))
      continue;
    for (const auto& [m, r] : e.methods) {
      if (m == method) {
        result.outcome = route_match::kind::found;
        result.target = r;
        result.id = std::move(id);
        return result;
      }
    }
    result.outcome = route_match::kind::method_not_allowed;
    result.allow = allow_header(e);
    return result;
  }
  // Unknown API paths are JSON 404s; everything else is the web client.
  if (path == "/api" || path.rfind("/api/", 0) == 0)
    return result;
  if (method == verb::get || method == verb::head) {
    result.outcome = route_match::kind::found;
    result.target = route::static_file;
    return result;
  }
  result.outcome = route_match::kind::method_not_allowed;
  result.allow = "GET, HEAD";
  return result;
}

std::string_view route_pattern(route r) {
  for (const auto& e : table())
    for (const auto& [m, target] : e.methods)
      if (target == r)
        return e.pattern;
  return "static";
}

} // namespace parley
