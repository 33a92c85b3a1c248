#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

/// Longest message, in Unicode code points (SPEC §4).
constexpr size_t max_content_code_points = 480;

/// Strict UTF-8 check: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_valid_utf8(std::string_view text);

/// Number of code points in valid UTF-8 text.
size_t count_code_points(std::string_view text);

/// SPEC §4 message normalisation: within each line, whitespace runs collapse
/// to one space and are trimmed; empty lines are dropped; lines join with \n.
std::string normalize_content(std::string_view text);

/// Whether `text` holds a control character other than \n and \t (NUL would
/// not even fit in a PostgreSQL text column).
bool has_forbidden_control(std::string_view text);

/// `^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$`.
bool is_valid_username(std::string_view name);

/// An Idempotency-Key the server takes: 1 to 64 visible ASCII characters
/// (0x21 to 0x7E; a UUID fits).
bool is_valid_idempotency_key(std::string_view key);

/// A positive decimal id that fits int64 ("42"); nullopt for anything else
/// ("", "abc", "-1", "0", "+1", "1e3", 20 digits).
std::optional<int64_t> parse_id(std::string_view text);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a
/// malformed escape.
std::optional<std::string> percent_decode(std::string_view text,
                                          bool plus_is_space);

/// Escapes every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~)
/// as %XX: safe inside a query value or a form body.
std::string percent_encode(std::string_view text);

} // namespace parley
