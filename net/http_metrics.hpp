#pragma once

#include <string>

#include "actors/metrics.hpp"
#include "net/router.hpp"

namespace parley {

/// The /metrics endpoint number of a request: its route and method, or one
/// number for every request that matched no route (404, 405, malformed).
size_t endpoint_of(const route_match& match, boost::beast::http::verb method);
size_t unmatched_endpoint();
/// GET /api/messages, counted by sse_stream once it knows 200 or 401.
size_t stream_endpoint();

/// All counters of `m` in Prometheus text format (SPEC §7).
std::string render_metrics_text(const metrics& m);

} // namespace parley
