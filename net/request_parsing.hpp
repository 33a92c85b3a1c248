#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "net/http_util.hpp"

namespace parley {

/// A JSON object from the request body, or the 4xx that refuses it:
/// 415 not JSON, 400 empty/malformed/invalid UTF-8, 422 not an object.
std::variant<nlohmann::json, http_response>
parse_json_body(const http_request& req);

/// A string field of a JSON object, or the 422 naming `field`.
std::variant<std::string, http_response>
string_field(const nlohmann::json& body, const char* field,
             const char* required_text);

/// parse_json_body, then string_field: the one-field bodies of login,
/// conversation and message creation.
std::variant<std::string, http_response>
body_string_field(const http_request& req, const char* field,
                  const char* required_text);

/// A post's `Idempotency-Key` header ("" when absent), or the 422 that
/// refuses a malformed one (is_valid_idempotency_key).
std::variant<std::string, http_response>
idempotency_key(const http_request& req);

/// The bearer token from Authorization, the parley_token cookie, or ?token=
/// (SPEC §3), in that order.
std::optional<std::string>
find_token(const http_request& req,
           const std::map<std::string, std::string>& query);

/// A list cursor `?before=<id>`: 0 when absent, nullopt when malformed.
std::optional<int64_t>
before_cursor(const std::map<std::string, std::string>& query);

/// RFC 3339 UTC text for seconds since the epoch ("…T…:…:….000Z").
std::string rfc3339(int64_t seconds);

} // namespace parley
