#include "net/router.hpp"

#include <catch2/catch.hpp>

using namespace parley;
using boost::beast::http::verb;
using kind = route_match::kind;

TEST_CASE("routes with ids", "[router]") {
  auto m = match_route(verb::get, "/api/conversations/42/messages");
  CHECK(m.outcome == kind::found);
  CHECK(m.target == route::messages);
  CHECK(m.id == "42");
  m = match_route(verb::post, "/api/conversations/7/read_messages");
  CHECK(m.target == route::read_messages);
  CHECK(m.id == "7");
  m = match_route(verb::get, "/api/conversations/abc");
  CHECK(m.outcome == kind::found); // the handler turns "abc" into 404
  CHECK(m.target == route::conversation);
  CHECK(m.id == "abc");
}

TEST_CASE("one path, two methods", "[router]") {
  CHECK(match_route(verb::get, "/api/conversations").target
        == route::conversations);
  CHECK(match_route(verb::post, "/api/conversations").target
        == route::conversations);
  auto m = match_route(verb::delete_, "/api/conversations");
  CHECK(m.outcome == kind::method_not_allowed);
  CHECK(m.allow == "GET, POST");
}

TEST_CASE("wrong method on a known path is 405 with Allow", "[router]") {
  auto m = match_route(verb::get, "/api/login");
  CHECK(m.outcome == kind::method_not_allowed);
  CHECK(m.allow == "POST");
  m = match_route(verb::post, "/api/conversations/1");
  CHECK(m.outcome == kind::method_not_allowed);
  CHECK(m.allow == "GET");
}

TEST_CASE("unknown API paths are 404, the rest is the web client", "[router]") {
  CHECK(match_route(verb::get, "/api/nope").outcome == kind::not_found);
  CHECK(match_route(verb::get, "/api").outcome == kind::not_found);
  CHECK(match_route(verb::get, "/api/login/").outcome == kind::not_found);
  CHECK(match_route(verb::get, "/api/conversations/").outcome
        == kind::not_found);
  CHECK(match_route(verb::get, "/api/conversations//messages").outcome
        == kind::not_found);
  CHECK(match_route(verb::get, "/api/conversations/1/2").outcome
        == kind::not_found);
  auto page = match_route(verb::get, "/chat/7");
  CHECK(page.outcome == kind::found);
  CHECK(page.target == route::static_file);
  CHECK(match_route(verb::post, "/chat/7").outcome == kind::method_not_allowed);
}

TEST_CASE("health, metrics and stream", "[router]") {
  CHECK(match_route(verb::get, "/healthz").target == route::healthz);
  CHECK(match_route(verb::get, "/metrics").target == route::metrics);
  CHECK(match_route(verb::get, "/api/messages").target
        == route::message_stream);
}

TEST_CASE("login methods and the GitHub sign-in", "[router]") {
  CHECK(match_route(verb::get, "/api/login_methods").target
        == route::login_methods);
  CHECK(match_route(verb::get, "/api/oauth/github").target
        == route::oauth_github);
  CHECK(match_route(verb::get, "/api/oauth/github/callback").target
        == route::oauth_github_callback);
  auto post = match_route(verb::post, "/api/oauth/github/callback");
  CHECK(post.outcome == route_match::kind::method_not_allowed);
  CHECK(post.allow == "GET");
  CHECK(match_route(verb::get, "/api/oauth/gitlab").outcome
        == route_match::kind::not_found);
}
