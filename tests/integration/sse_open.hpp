#pragma once

// Opening an event stream in a test, the way every stream test starts: a
// 200, then (for a fresh stream) the `id:` block with the user's newest seq.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "sse_client.hpp"

namespace itest {

/// Opens a stream as `as`; REQUIREs 200.
inline void open_stream(sse_client& stream, const user_session& as,
                        const std::string& query = {},
                        const std::optional<std::string>& last_event_id = {}) {
  auto response = stream.connect(as.token, query, last_event_id);
  INFO("stream as " << as.username << " query '" << query
                    << "': " << response.status << " " << response.body);
  REQUIRE(response.status == 200);
}

/// Opens a fresh stream and waits (10 s at most) until its `id:` block set
/// lastEventId to `seq` (the user's newest inbox seq).
inline void open_fresh(sse_client& stream, const user_session& as,
                       std::int64_t seq, const std::string& query = {}) {
  open_stream(stream, as, query);
  auto expected = std::to_string(seq);
  bool ready
    = stream.wait_until([&] { return stream.last_event_id() == expected; },
                        std::chrono::seconds{10});
  INFO("lastEventId '" << stream.last_event_id() << "', expected " << expected
                       << "; ended: " << stream.end_reason());
  REQUIRE(ready);
  CHECK(stream.pending().empty()); // a fresh stream replays nothing
}

} // namespace itest
