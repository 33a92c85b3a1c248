// GET /metrics: the counters in Prometheus text format (SPEC §7).
#include "net/http_metrics.hpp"

#include <cstdio>

namespace parley {

namespace {

using boost::beast::http::verb;

// Endpoints are numbered route × method: every route answers GET (HEAD
// counts as GET) or POST or both. The last number is "unmatched".
constexpr size_t route_count = static_cast<size_t>(route::static_file) + 1;
static_assert(route_count * 2 + 1 <= request_metrics::endpoints,
              "request_metrics has a slot for every endpoint");

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

// Nanoseconds as decimal seconds, exactly ("0.032", "12.000000001").
std::string seconds(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld",
                static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000));
  std::string text = buf;
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

void header(std::string& text, const char* name, const char* type,
            const char* help) {
  text += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name + " "
          + type + "\n";
}

void sample(std::string& text, const std::string& name,
            const std::string& labels, const std::string& value) {
  text += name;
  if (!labels.empty())
    text += "{" + labels + "}";
  text += " " + value + "\n";
}

void single(std::string& text, const char* name, const char* type,
            const char* help, int64_t value) {
  header(text, name, type, help);
  sample(text, name, "", std::to_string(value));
}

// One histogram's series; `labels` without braces, may be empty.
void series(std::string& text, const std::string& name,
            const std::string& labels, const histogram& h) {
  auto with = [&labels](const std::string& le) {
    return labels.empty() ? le : labels + "," + le;
  };
  auto snap = h.read(); // +Inf and _count must agree
  for (size_t i = 0; i < histogram::bounds.size(); ++i)
    sample(text, name + "_bucket",
           with("le=\"" + number(histogram::bounds[i]) + "\""),
           std::to_string(snap.le[i]));
  sample(text, name + "_bucket", with("le=\"+Inf\""),
         std::to_string(snap.count()));
  sample(text, name + "_sum", labels, seconds(snap.sum_ns));
  sample(text, name + "_count", labels, std::to_string(snap.count()));
}

std::string endpoint_labels(size_t endpoint) {
  if (endpoint == unmatched_endpoint())
    return "route=\"(unmatched)\",method=\"(any)\"";
  auto r = static_cast<route>(endpoint / 2);
  return "route=\"" + std::string{route_pattern(r)} + "\",method=\""
         + (endpoint % 2 ? "POST" : "GET") + "\"";
}

void render_http(std::string& text, const request_metrics& http) {
  header(text, "parley_http_requests_total", "counter",
         "HTTP requests answered, by route, method and status.");
  for (size_t e = 0; e <= unmatched_endpoint(); ++e)
    for (auto s = request_metrics::first_status;
         s <= request_metrics::last_status; ++s)
      if (auto n = http.requests(e, s))
        sample(text, "parley_http_requests_total",
               endpoint_labels(e) + ",status=\"" + std::to_string(s) + "\"",
               std::to_string(n));
  header(text, "parley_http_request_duration_seconds", "histogram",
         "From the request read to its response queued; event streams "
         "excluded.");
  for (size_t e = 0; e <= unmatched_endpoint(); ++e)
    if (http.latency(e).count())
      series(text, "parley_http_request_duration_seconds", endpoint_labels(e),
             http.latency(e));
}

void render_db(std::string& text, const metrics& m) {
  header(text, "parley_db_statement_duration_seconds", "histogram",
         "Database statements by name, retries and reconnects included.");
  for (size_t i = 0; i < db_metrics::slots; ++i)
    if (const char* name = m.db.name(i))
      series(text, "parley_db_statement_duration_seconds",
             std::string{"statement=\""} + name + "\"", m.db.latency(i));
  single(text, "parley_db_post_batches_total", "counter",
         "Group commits of message posts.", m.post_batches.load());
  single(text, "parley_db_posts_batched_total", "counter",
         "Message posts in those group commits.", m.posts_batched.load());
  single(text, "parley_db_replay_batches_total", "counter",
         "Statements reading event streams' inboxes.", m.replay_batches.load());
  single(text, "parley_db_replays_batched_total", "counter",
         "Inbox reads in those statements.", m.replays_batched.load());
}

void render_mailboxes(std::string& text, const metrics& m) {
  header(text, "parley_actor_mailbox_messages", "gauge",
         "Messages queued behind the one an actor last took.");
  sample(text, "parley_actor_mailbox_messages", "actor=\"broker\"",
         std::to_string(m.broker_mailbox.load()));
  auto workers = std::min(m.db_workers.load(), metrics::max_db_workers);
  for (size_t i = 0; i < workers; ++i)
    sample(text, "parley_actor_mailbox_messages",
           "actor=\"db\",worker=\"" + std::to_string(i) + "\",role=\""
             + (i < m.db_writers.load() ? "writer" : "reader") + "\"",
           std::to_string(m.db_mailbox[i].load()));
}

} // namespace

size_t endpoint_of(const route_match& match, verb method) {
  if (match.outcome != route_match::kind::found)
    return unmatched_endpoint();
  return static_cast<size_t>(match.target) * 2 + (method == verb::post ? 1 : 0);
}

size_t unmatched_endpoint() {
  return route_count * 2;
}

size_t stream_endpoint() {
  return static_cast<size_t>(route::message_stream) * 2;
}

std::string render_metrics_text(const metrics& m) {
  std::string text;
  single(text, "parley_sse_open_streams", "gauge", "Open event streams.",
         m.open_streams.load());
  single(text, "parley_sse_streams_total", "counter", "Event streams opened.",
         m.streams_total.load());
  single(text, "parley_sse_events_delivered_total", "counter",
         "Events written to streams.", m.events_delivered.load());
  single(text, "parley_sse_streams_cut_slow_total", "counter",
         "Streams closed because their queue overflowed.",
         m.streams_cut_slow.load());
  single(text, "parley_sse_replays_total", "counter",
         "Streams that resumed from a cursor.", m.replays.load());
  single(text, "parley_sse_resets_total", "counter",
         "Streams whose cursor was unknown (event: reset).", m.resets.load());
  render_http(text, m.http);
  render_db(text, m);
  render_mailboxes(text, m);
  return text;
}

} // namespace parley
