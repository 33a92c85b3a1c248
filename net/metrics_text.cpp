// GET /metrics (SPEC §7); the text itself is net/http_metrics.cpp.
#include "net/api.hpp"
#include "net/http_metrics.hpp"

namespace parley {

http_response api::render_metrics() const {
  http_response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = render_metrics_text(*counters_);
  res.prepare_payload();
  return res;
}

} // namespace parley
