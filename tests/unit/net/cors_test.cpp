// CORS for parley.origin: which origins match, the headers, preflights.

#include <catch2/catch.hpp>

#include "net/cors.hpp"

using namespace parley;

namespace {

http_request options(const std::string& target, const std::string& origin,
                     const std::string& method) {
  http_request req{http::verb::options, target, 11};
  if (!origin.empty())
    req.set(http::field::origin, origin);
  req.set(http::field::access_control_request_method, method);
  return req;
}

} // namespace

TEST_CASE("only the configured origin, exactly, is allowed", "[unit][cors]") {
  const std::string configured = "https://Chat.Example.com/";
  CHECK(normalized_origin(configured) == "https://chat.example.com");
  CHECK(origin_allowed("https://chat.example.com", configured));
  CHECK_FALSE(origin_allowed("", configured));
  CHECK_FALSE(origin_allowed("null", configured));
  CHECK_FALSE(origin_allowed("http://chat.example.com", configured));
  CHECK_FALSE(origin_allowed("https://chat.example.com:8443", configured));
  CHECK_FALSE(origin_allowed("https://chat.example.com.evil.test", configured));
  CHECK_FALSE(
    origin_allowed("https://evil.test/https://chat.example.com", configured));
}

TEST_CASE("an allowed response names its origin, allows credentials and "
          "varies by origin",
          "[unit][cors]") {
  http_response res{http::status::ok, 11};
  add_cors_headers(res, "http://localhost:5173");
  CHECK(res[http::field::access_control_allow_origin]
        == "http://localhost:5173");
  CHECK(res[http::field::access_control_allow_credentials] == "true");
  CHECK(res[http::field::vary] == "Origin");
  CHECK(res[http::field::access_control_expose_headers].find("X-Request-Id")
        != boost::beast::string_view::npos);
  CHECK(cors_header_lines("http://localhost:5173")
        == "Access-Control-Allow-Origin: http://localhost:5173\r\n"
           "Access-Control-Allow-Credentials: true\r\n"
           "Access-Control-Expose-Headers: X-Request-Id, Retry-After, Allow, "
           "Idempotent-Replayed\r\n"
           "Vary: Origin\r\n");
}

TEST_CASE("an answer to a request from no allowed origin only varies by "
          "origin",
          "[unit][cors]") {
  http_response res{http::status::ok, 11};
  add_cors_headers(res, "");
  CHECK(res[http::field::vary] == "Origin");
  CHECK(res.find(http::field::access_control_allow_origin) == res.end());
  CHECK(res.find(http::field::access_control_allow_credentials) == res.end());
  CHECK(cors_header_lines("") == "Vary: Origin\r\n");
}

TEST_CASE("a preflight is answered by the route table", "[unit][cors]") {
  const std::string configured = "http://localhost:5173";
  auto ok = preflight(
    options("/api/conversations/7/messages", configured, "POST"), configured);
  CHECK(ok.result() == http::status::no_content);
  CHECK(ok[http::field::access_control_allow_origin] == configured);
  CHECK(ok[http::field::access_control_allow_methods] == "POST");
  CHECK(ok[http::field::access_control_allow_headers].find("Authorization")
        != boost::beast::string_view::npos);
  // A page retrying a post sends its key (docs/api.md).
  CHECK(ok[http::field::access_control_allow_headers].find("Idempotency-Key")
        != boost::beast::string_view::npos);
  CHECK(ok[http::field::access_control_max_age] == "600");

  auto stranger = preflight(
    options("/api/conversations", "http://evil.test", "POST"), configured);
  CHECK(stranger.result() == http::status::forbidden);
  CHECK(stranger.find(http::field::access_control_allow_origin)
        == stranger.end());

  auto nowhere
    = preflight(options("/api/nowhere", configured, "GET"), configured);
  CHECK(nowhere.result() == http::status::not_found);
  CHECK(nowhere.find(http::field::access_control_allow_origin)
        == nowhere.end());

  auto wrong
    = preflight(options("/api/login", configured, "DELETE"), configured);
  CHECK(wrong.result() == http::status::method_not_allowed);
  CHECK(wrong[http::field::allow] == "POST");

  // A method no route knows, and a preflight without an Origin.
  auto unknown
    = preflight(options("/api/login", configured, "BREW"), configured);
  CHECK(unknown.result() == http::status::method_not_allowed);
  CHECK(unknown[http::field::allow] == "POST");
  auto anonymous = preflight(options("/api/login", "", "POST"), configured);
  CHECK(anonymous.result() == http::status::forbidden);
  CHECK(anonymous.find(http::field::access_control_allow_origin)
        == anonymous.end());

  CHECK(is_preflight(options("/api/login", configured, "POST")));
  CHECK_FALSE(
    is_preflight(http_request{http::verb::options, "/api/login", 11}));
  CHECK_FALSE(is_preflight(http_request{http::verb::get, "/api/login", 11}));
}
