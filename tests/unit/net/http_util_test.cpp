#include "net/http_util.hpp"
#include "net/request_parsing.hpp"

#include <catch2/catch.hpp>

#include "actors/errors.hpp"

using namespace parley;

TEST_CASE("query strings are decoded", "[http]") {
  auto q = parse_query("search=a%20b&before=12&x&token=a+b&search=ignored");
  CHECK(q["search"] == "a b");
  CHECK(q["before"] == "12");
  CHECK(q.count("x") == 1);
  CHECK(q["token"] == "a b");
  CHECK(parse_query("").empty());
  CHECK(parse_query("bad=%zz")["bad"] == "%zz");
}

TEST_CASE("secrets are redacted from logged targets", "[http]") {
  CHECK(redact_target("/api/messages?token=abc.def.ghi&include_own=true")
        == "/api/messages?token=REDACTED&include_own=true");
  CHECK(redact_target("/cb?code=1&state=2")
        == "/cb?code=REDACTED&state=REDACTED");
  CHECK(redact_target("/api/usernames?search=jo")
        == "/api/usernames?search=jo");
  CHECK(redact_target("/plain") == "/plain");
}

TEST_CASE("cookies", "[http]") {
  CHECK(cookie_value("a=1; parley_token=xyz; b=2", "parley_token") == "xyz");
  CHECK(cookie_value("parley_token=xyz", "parley_token") == "xyz");
  CHECK_FALSE(cookie_value("xparley_token=1", "parley_token"));
  CHECK_FALSE(cookie_value("", "parley_token"));
}

TEST_CASE("request ids", "[http]") {
  CHECK(is_sane_request_id("abc-123_x.y"));
  CHECK_FALSE(is_sane_request_id(""));
  CHECK_FALSE(is_sane_request_id(std::string(65, 'a')));
  CHECK_FALSE(is_sane_request_id("a b"));
  CHECK_FALSE(is_sane_request_id("a\r\nSet-Cookie: x"));
  auto id = make_request_id();
  CHECK(id.size() == 16);
  CHECK(is_sane_request_id(id));
  CHECK(id != make_request_id());
}

TEST_CASE("errors map to statuses", "[http]") {
  CHECK(error_response(make_error(ec::not_found), "X not found").result()
        == http::status::not_found);
  CHECK(error_response(make_error(ec::forbidden), "").result()
        == http::status::forbidden);
  auto down = error_response(make_error(ec::db_unavailable), "");
  CHECK(down.result() == http::status::service_unavailable);
  CHECK(down[http::field::retry_after] == "1");
  auto bug = error_response(make_error(ec::db_error), "");
  CHECK(bug.result() == http::status::internal_server_error);
  CHECK(bug.body() == R"({"message":"Internal server error"})");
}

TEST_CASE("a rate-limited request is 429 with its wait, at least 1 s",
          "[http][rate_limit]") {
  auto limited = error_response(make_rate_limited(3), "");
  CHECK(limited.result() == http::status::too_many_requests);
  CHECK(limited[http::field::retry_after] == "3");
  CHECK(limited.body()
        == R"({"message":"Too many requests; try again in 3 s"})");
  // Never "0": a client told to retry at once would come straight back.
  CHECK(error_response(make_rate_limited(0), "")[http::field::retry_after]
        == "1");
  // The code alone, without its wait, is still a 429.
  auto bare = error_response(make_error(ec::rate_limited), "");
  CHECK(bare.result() == http::status::too_many_requests);
  CHECK(bare[http::field::retry_after] == "1");
}

namespace {

http_request post(std::string content_type, std::string body) {
  http_request req{http::verb::post, "/api/login", 11};
  if (!content_type.empty())
    req.set(http::field::content_type, content_type);
  req.body() = std::move(body);
  return req;
}

int status_of(const std::variant<nlohmann::json, http_response>& r) {
  if (auto* res = std::get_if<http_response>(&r))
    return res->result_int();
  return 0;
}

} // namespace

TEST_CASE("JSON bodies are checked before use", "[http]") {
  CHECK(status_of(parse_json_body(post("application/json", "{}"))) == 0);
  CHECK(status_of(parse_json_body(
          post("Application/JSON; charset=utf-8", R"({"a":1})")))
        == 0);
  CHECK(status_of(parse_json_body(post("text/plain", "{}"))) == 415);
  CHECK(status_of(parse_json_body(post("", "{}"))) == 415);
  CHECK(status_of(parse_json_body(post("application/json", ""))) == 400);
  CHECK(status_of(parse_json_body(post("application/json", "{"))) == 400);
  CHECK(status_of(parse_json_body(post("application/json", "{\"a\":\"\xff\"}")))
        == 400);
  CHECK(status_of(parse_json_body(post("application/json", "[]"))) == 422);
  CHECK(status_of(parse_json_body(post("application/json", "\"x\""))) == 422);
}

TEST_CASE("string fields", "[http]") {
  auto body = nlohmann::json::parse(R"({"a":"x","b":5,"c":null})");
  CHECK(std::get<std::string>(string_field(body, "a", "")) == "x");
  CHECK(std::get<http_response>(string_field(body, "b", "")).result_int()
        == 422);
  CHECK(std::get<http_response>(string_field(body, "c", "")).result_int()
        == 422);
  CHECK(std::get<http_response>(string_field(body, "d", "")).result_int()
        == 422);
}

TEST_CASE("tokens come from header, cookie or query, in that order", "[http]") {
  http_request req{http::verb::get, "/api/auth_user", 11};
  std::map<std::string, std::string> query{{"token", "q"}};
  CHECK(find_token(req, query) == "q");
  req.set(http::field::cookie, "parley_token=c");
  CHECK(find_token(req, query) == "c");
  req.set(http::field::authorization, "Bearer h");
  CHECK(find_token(req, query) == "h");
  http_request none{http::verb::get, "/", 11};
  none.set(http::field::authorization, "Basic abc");
  CHECK_FALSE(find_token(none, {}));
}

TEST_CASE("list cursors", "[http]") {
  CHECK(before_cursor({}) == 0);
  CHECK(before_cursor({{"before", ""}}) == 0);
  CHECK(before_cursor({{"before", "17"}}) == 17);
  CHECK_FALSE(before_cursor({{"before", "x"}}));
  CHECK(rfc3339(0) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("Set-Cookie values: Secure only for an https origin", "[http]") {
  CHECK(set_cookie_value("a", "b", "Strict", "/api", 60, "http://localhost")
        == "a=b; HttpOnly; SameSite=Strict; Path=/api; Max-Age=60");
  CHECK(set_cookie_value("a", "", "Lax", "/x", 0, "https://chat.example.org")
        == "a=; HttpOnly; SameSite=Lax; Path=/x; Max-Age=0; Secure");
}

TEST_CASE("random hex and request ids", "[http]") {
  auto hex = random_hex(16);
  REQUIRE(hex);
  CHECK(hex->size() == 32);
  CHECK(hex->find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(random_hex(16) != hex);
  CHECK(make_request_id().size() == 16);
  CHECK(is_sane_request_id(make_request_id()));
}

TEST_CASE("a temporary redirect is never cached", "[http]") {
  auto res = temporary_redirect("http://x/callback?token=t");
  CHECK(res.result() == http::status::temporary_redirect);
  CHECK(res[http::field::location] == "http://x/callback?token=t");
  CHECK(res[http::field::cache_control] == "no-store");
}
