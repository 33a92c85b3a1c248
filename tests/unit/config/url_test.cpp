#include "config/url.hpp"

#include <catch2/catch.hpp>

using namespace parley;

TEST_CASE("http and https URLs split into host, port and target", "[url]") {
  auto u = parse_url("https://github.com/login/oauth/access_token");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "github.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/login/oauth/access_token");

  u = parse_url("http://127.0.0.1:8081");
  REQUIRE(u);
  CHECK_FALSE(u->tls);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8081);
  CHECK(u->target == "/");

  u = parse_url("http://[::1]:9000/user?x=1");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 9000);
  CHECK(u->target == "/user?x=1");

  u = parse_url("http://example.org?a=b");
  REQUIRE(u);
  CHECK(u->target == "/?a=b");
}

TEST_CASE("anything else is not a URL the server will fetch", "[url]") {
  for (const char* bad :
       {"", "github.com", "ftp://github.com/", "https://", "https:///x",
        "http://host:0/", "http://host:65536/", "http://host:80a/",
        "http://user@host/", "http://host/a b", "http://host/#frag",
        "http://host/\r\nX: y", "http://[::1/", "http://[::1]x/",
        "javascript:alert(1)", "http://ho_st/"})
    CHECK_FALSE(parse_url(bad));
}
