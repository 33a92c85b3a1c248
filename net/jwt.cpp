#include "net/jwt.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/text.hpp"

namespace parley {

namespace {

constexpr char alphabet[]
  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char ch) {
  if (ch >= 'A' && ch <= 'Z')
    return ch - 'A';
  if (ch >= 'a' && ch <= 'z')
    return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9')
    return ch - '0' + 52;
  if (ch == '-')
    return 62;
  if (ch == '_')
    return 63;
  return -1;
}

// A JSON number that is a whole number of seconds.
std::optional<int64_t> seconds_claim(const nlohmann::json& payload,
                                     const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number_integer())
    return std::nullopt;
  return it->get<int64_t>();
}

bool header_ok(std::string_view encoded) {
  auto text = base64url_decode(encoded);
  if (!text)
    return false;
  auto header = nlohmann::json::parse(*text, nullptr, false);
  // Only HS256: "none" and every other algorithm are refused outright.
  return header.is_object() && header.value("alg", "") == "HS256";
}

} // namespace

std::string hmac_sha256(const std::string& key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0)
    out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    int value = decode_char(ch);
    if (value < 0)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // A lone trailing character (6 bits) cannot be valid base64.
  if (bits >= 6)
    return std::nullopt;
  return out;
}

std::string jwt_sign_payload(std::string_view payload_json,
                             const std::string& key) {
  static const std::string header
    = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  auto signing_input = header + "." + base64url_encode(payload_json);
  return signing_input + "."
         + base64url_encode(hmac_sha256(key, signing_input));
}

std::string jwt_sign(const jwt_claims& claims, const std::string& key) {
  nlohmann::json payload = {{"sub", std::to_string(claims.sub)},
                            {"iat", claims.iat},
                            {"exp", claims.exp}};
  return jwt_sign_payload(payload.dump(), key);
}

std::optional<jwt_claims> jwt_verify(std::string_view token,
                                     const std::string& key, int64_t now) {
  auto first = token.find('.');
  auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last)
    return std::nullopt;
  auto signing_input = token.substr(0, last);
  auto signature = base64url_decode(token.substr(last + 1));
  auto expected = hmac_sha256(key, signing_input);
  if (!signature || signature->size() != expected.size()
      || CRYPTO_memcmp(signature->data(), expected.data(), expected.size())
           != 0)
    return std::nullopt;
  if (!header_ok(token.substr(0, first)))
    return std::nullopt;
  auto text = base64url_decode(token.substr(first + 1, last - first - 1));
  if (!text)
    return std::nullopt;
  auto payload = nlohmann::json::parse(*text, nullptr, false);
  if (!payload.is_object() || !payload.contains("sub")
      || !payload["sub"].is_string())
    return std::nullopt;
  auto sub = parse_id(payload["sub"].get<std::string>());
  auto iat = seconds_claim(payload, "iat");
  auto exp = seconds_claim(payload, "exp");
  if (!sub || !iat || !exp || *exp <= now)
    return std::nullopt;
  return jwt_claims{*sub, *iat, *exp};
}

} // namespace parley
