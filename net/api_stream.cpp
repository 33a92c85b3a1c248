// The parts of the API that start an event stream (SPEC §5).
#include "net/api.hpp"

#include <algorithm>
#include <limits>

#include "actors/atoms.hpp"
#include "actors/errors.hpp"
#include "actors/sse_connection.hpp"
#include "net/ask.hpp"
#include "net/cors.hpp"
#include "net/json_mapping.hpp"
#include "net/text.hpp"

namespace parley {

int64_t stream_cursor(const http_request& req,
                      const std::map<std::string, std::string>& query) {
  std::string text{to_sv(req["Last-Event-ID"])};
  for (const char* key : {"lastEventId", "last_event_id"})
    if (auto it = query.find(key); text.empty() && it != query.end())
      text = it->second;
  if (text.empty())
    return -1;
  if (text == "0")
    return 0;
  auto id = parse_id(text);
  return id ? *id : std::numeric_limits<int64_t>::max();
}

std::variant<http_response, stream_params>
api::check_stream(const http_request& req) {
  api_request r{req, {}, target_query(to_sv(req.target())), 0};
  if (!authenticate(r))
    return unauthorized();
  if (to_sv(req[http::field::accept]).find("text/event-stream")
      == std::string_view::npos)
    return error_response(http::status::not_acceptable,
                          "This endpoint serves text/event-stream only");
  auto own = r.query.find("include_own");
  auto cursor = stream_cursor(req, r.query);
  return stream_params{r.user_id, own != r.query.end() && own->second == "true",
                       cursor, cursor >= 0};
}

caf::actor api::spawn_stream_actor(const stream_params& params,
                                   std::weak_ptr<stream_sink> sink) {
  sse_connection_config c;
  c.user_id = params.user_id;
  c.include_own = params.include_own;
  c.resume_after = params.resume_after;
  c.client_cursor = params.client_cursor;
  // A replay page must fit the queue at worst-case event size, so that a
  // client that reads is never cut by its own backlog.
  c.replay_page = std::clamp<int64_t>(
    static_cast<int64_t>(cfg_->sse_queue_limit / (2 * max_event_bytes)), 1,
    100);
  c.heartbeat = cfg_->sse_heartbeat;
  c.broker = broker_;
  c.db = db_;
  c.format = format_event;
  c.sink = std::move(sink);
  c.counters = counters_;
  return sys_.spawn(sse_connection, std::move(c));
}

shared_bytes api::stream_prelude(const std::string& request_id,
                                 const std::string& cors_origin) const {
  return std::make_shared<const std::string>(
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-cache, no-store\r\n"
    "X-Accel-Buffering: no\r\n"
    "Connection: keep-alive\r\n"
    + cors_header_lines(cors_origin) + "X-Request-Id: " + request_id
    + "\r\n\r\n"
      "retry: "
    + std::to_string(cfg_->sse_retry.count())
    + "\n"
      ": parley event stream\n\n");
}

} // namespace parley
