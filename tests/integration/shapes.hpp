#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "http_client.hpp"

namespace itest {

/// The object's keys; empty for a non-object.
std::set<std::string> keys_of(const nlohmann::json& value);

/// True for a JSON string holding a positive decimal id ("42").
bool is_id(const nlohmann::json& value);

/// An id string as a number, for ordering checks.
std::int64_t id_number(const nlohmann::json& value);

/// Parses `2026-11-25T18:00:00.123456Z` (RFC 3339, UTC, fractional seconds
/// required, as the contract promises); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point>
parse_time(const std::string& text);

/// Seconds since the epoch, now.
std::int64_t unix_now();

/// CHECKs a User object: exactly {id, username, avatarURL}, id a string id.
void check_user(const nlohmann::json& user);

/// CHECKs a Message object's shape and that `mine` equals `mine`.
void check_message(const nlohmann::json& message, bool mine);

/// CHECKs a Conversation object's shape (lastMessage null or a Message).
void check_conversation(const nlohmann::json& conversation);

/// CHECKs an error reply: `status`, a JSON content type, and a body that
/// is an object with a non-empty string `message`.
void check_error(const http_response& response, int status);

/// CHECKs a 422 reply naming `field` in its `errors` object.
void check_validation_error(const http_response& response,
                            const std::string& field);

/// CHECKs that the response's Content-Type is application/json.
void check_json_type(const http_response& response);

} // namespace itest
