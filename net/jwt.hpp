#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

/// The claims Parley puts in a token (SPEC §3): user id, issued-at, expiry,
/// both in seconds since the Unix epoch.
struct jwt_claims {
  int64_t sub = 0;
  int64_t iat = 0;
  int64_t exp = 0;
};

/// Signs `claims` as a compact JWT (HS256).
std::string jwt_sign(const jwt_claims& claims, const std::string& key);

/// Signs an arbitrary JSON payload with an HS256 header (jwt_sign's core;
/// tests use it to make well-signed tokens with malformed claims).
std::string jwt_sign_payload(std::string_view payload_json,
                             const std::string& key);

/// Checks signature (constant time), algorithm (HS256 only), shape and
/// expiry against `now`; nullopt for any token that is not valid right now.
std::optional<jwt_claims> jwt_verify(std::string_view token,
                                     const std::string& key, int64_t now);

/// HMAC-SHA256 of `data` under `key`: 32 raw bytes (the HS256 signature;
/// also what signs the OAuth state, github_oauth.hpp).
std::string hmac_sha256(const std::string& key, std::string_view data);

/// Base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);

/// Inverse of base64url_encode; nullopt on a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace parley
