// The /metrics text: endpoint numbering and the Prometheus format.

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "net/http_metrics.hpp"

using namespace parley;
using namespace std::chrono_literals;
using boost::beast::http::verb;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos
         || text.rfind(line + "\n", 0) == 0;
}

} // namespace

TEST_CASE("each route and method has its own endpoint number, and what matched "
          "no route shares one",
          "[unit][metrics]") {
  std::set<size_t> seen;
  const char* paths[] = {"/api/login",
                         "/api/logout",
                         "/api/auth_user",
                         "/api/refresh_token",
                         "/api/usernames",
                         "/api/conversations",
                         "/api/conversations/7",
                         "/api/conversations/7/other_participant",
                         "/api/conversations/7/messages",
                         "/api/conversations/7/read_messages",
                         "/api/messages",
                         "/healthz",
                         "/metrics",
                         "/index.html"};
  size_t found = 0;
  for (auto method : {verb::get, verb::post})
    for (const char* path : paths) {
      auto match = match_route(method, path);
      if (match.outcome != route_match::kind::found)
        continue;
      ++found;
      auto e = endpoint_of(match, method);
      CHECK(e < request_metrics::endpoints);
      CHECK(e != unmatched_endpoint());
      CHECK(seen.insert(e).second);
    }
  CHECK(found == 16);
  CHECK(endpoint_of(match_route(verb::get, "/api/nowhere"), verb::get)
        == unmatched_endpoint());
  CHECK(endpoint_of(match_route(verb::delete_, "/api/login"), verb::delete_)
        == unmatched_endpoint());
  CHECK(stream_endpoint()
        == endpoint_of(match_route(verb::get, "/api/messages"), verb::get));
  CHECK(unmatched_endpoint() < request_metrics::endpoints);
}

TEST_CASE("the metrics text has labelled counters and cumulative histograms",
          "[unit][metrics]") {
  metrics m;
  auto post = endpoint_of(
    match_route(verb::post, "/api/conversations/3/messages"), verb::post);
  m.http.observe(post, 201, 2ms);
  m.http.observe(post, 201, 30ms);
  m.http.observe(unmatched_endpoint(), 404, 1ms);
  m.http.count(stream_endpoint(), 200);
  m.db.observe("msg_post", 4ms);
  m.db.observe("slow", 2s);
  m.db.observe("slow", 1ns);
  m.db_workers = 2;
  m.db_writers = 1;
  m.db_mailbox[1] = 5;
  m.broker_mailbox = 3;
  auto text = render_metrics_text(m);
  INFO(text);
  const std::string route
    = R"(route="/api/conversations/{id}/messages",method="POST")";
  CHECK(has_line(text, "parley_http_requests_total{" + route
                         + R"(,status="201"} 2)"));
  CHECK(has_line(
    text,
    R"x(parley_http_requests_total{route="(unmatched)",method="(any)",status="404"} 1)x"));
  CHECK(has_line(
    text,
    R"(parley_http_requests_total{route="/api/messages",method="GET",status="200"} 1)"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_bucket{" + route
                         + R"(,le="0.001"} 0)"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_bucket{" + route
                         + R"(,le="0.0025"} 1)"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_bucket{" + route
                         + R"(,le="0.05"} 2)"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_bucket{" + route
                         + R"(,le="+Inf"} 2)"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_sum{" + route
                         + "} 0.032"));
  CHECK(has_line(text, "parley_http_request_duration_seconds_count{" + route
                         + "} 2"));
  // The stream was counted, not timed: no series for it.
  CHECK(text.find(R"(duration_seconds_count{route="/api/messages")")
        == std::string::npos);
  CHECK(has_line(
    text,
    R"(parley_db_statement_duration_seconds_count{statement="msg_post"} 1)"));
  // Sums are exact decimal seconds, whatever their size.
  CHECK(has_line(
    text,
    R"(parley_db_statement_duration_seconds_sum{statement="slow"} 2.000000001)"));
  CHECK(has_line(
    text,
    R"(parley_db_statement_duration_seconds_sum{statement="msg_post"} 0.004)"));
  CHECK(has_line(text, R"(parley_actor_mailbox_messages{actor="broker"} 3)"));
  CHECK(has_line(
    text,
    R"(parley_actor_mailbox_messages{actor="db",worker="0",role="writer"} 0)"));
  CHECK(has_line(
    text,
    R"(parley_actor_mailbox_messages{actor="db",worker="1",role="reader"} 5)"));
  CHECK(has_line(text, "# TYPE parley_http_requests_total counter"));
  CHECK(has_line(text, "parley_sse_open_streams 0"));
}
