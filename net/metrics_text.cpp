// GET /metrics: the counters in Prometheus text format (SPEC §7).
#include "net/api.hpp"

namespace parley {

http_response api::render_metrics() const {
  const auto& m = *counters_;
  std::string text;
  auto metric = [&text](const char* name, const char* type, const char* help,
                        int64_t value) {
    text += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name
            + " " + type + "\n" + name + " " + std::to_string(value) + "\n";
  };
  metric("parley_sse_open_streams", "gauge", "Open event streams.",
         m.open_streams.load());
  metric("parley_sse_streams_total", "counter", "Event streams opened.",
         m.streams_total.load());
  metric("parley_sse_events_delivered_total", "counter",
         "Events written to streams.", m.events_delivered.load());
  metric("parley_sse_streams_cut_slow_total", "counter",
         "Streams closed because their queue overflowed.",
         m.streams_cut_slow.load());
  metric("parley_sse_replays_total", "counter",
         "Streams that resumed from a cursor.", m.replays.load());
  metric("parley_sse_resets_total", "counter",
         "Streams whose cursor was unknown (event: reset).", m.resets.load());
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(text);
  res.prepare_payload();
  return res;
}

} // namespace parley
