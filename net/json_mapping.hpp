#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "actors/model.hpp"

namespace parley {

// The one place where model types become the API's JSON (SPEC §4):
// camelCase keys, ids as strings, `mine` relative to the caller.

/// `{"id", "username", "avatarURL"}`.
nlohmann::json to_json(const user& u);

/// `{"id", "content", "conversationId", "createdAt", "mine"}`.
nlohmann::json to_json(const message& m, int64_t caller);

/// `{"id", "otherParticipant", "lastMessage", "hasUnreadMessages"}`.
nlohmann::json to_json(const conversation& c, int64_t caller);

/// A JSON array of `to_json(item, caller)`.
nlohmann::json to_json(const conversation_list& list, int64_t caller);
nlohmann::json to_json(const message_list& list, int64_t caller);

/// The most bytes format_event can produce: 480 code points of 4 bytes,
/// JSON around them, the `id:` line.
constexpr size_t max_event_bytes = 2100;

/// One SSE event for `receiver`: `id: <seq>`, one line of JSON `data:`,
/// and the blank line that ends it (SPEC §5).
std::string format_event(const message& m, int64_t receiver, int64_t seq);

} // namespace parley
