#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace itest {

/// The key every test server is started with (`--parley.jwt-key`).
inline const std::string test_jwt_key = "integration-test-key";

/// Base64url without padding, as JWT uses it.
std::string base64url_encode(std::string_view bytes);

/// Inverse of base64url_encode; throws std::runtime_error on bad input.
std::string base64url_decode(std::string_view text);

/// A JWT with exactly this header and payload, signed HS256 with `key`
/// (the signature is computed whatever `header.alg` claims).
std::string forge_token(const nlohmann::json& header,
                        const nlohmann::json& payload,
                        const std::string& key = test_jwt_key);

/// A well-formed HS256 token {sub, iat, exp} signed with the test key.
std::string forge_token(const std::string& sub, std::int64_t iat,
                        std::int64_t exp);

/// The decoded payload of a token.
nlohmann::json token_payload(const std::string& token);

/// `token` with its payload replaced and its original signature kept.
std::string replace_payload(const std::string& token,
                            const nlohmann::json& payload);

/// An OAuth `state` as the server makes one (nonce.expiry.mac), expiring at
/// `expires` (Unix seconds), signed with `key`.
std::string forge_oauth_state(std::int64_t expires,
                              const std::string& key = test_jwt_key);

/// `token` with one signature character changed (still valid base64url).
std::string corrupt_signature(const std::string& token);

} // namespace itest
