#include "token_forge.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace itest {

namespace {

std::string hs256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           digest, &length)
      == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

struct token_parts {
  std::string header, payload, signature;
};

token_parts split(const std::string& token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos)
    throw std::runtime_error("not a JWT: " + token);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  std::string text(reinterpret_cast<const char*>(out.data()),
                   static_cast<std::size_t>(n));
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  for (auto& c : text)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

std::string base64url_decode(std::string_view text) {
  std::string padded{text};
  for (auto& c : padded)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  auto padding = (4 - padded.size() % 4) % 4;
  padded.append(padding, '=');
  std::vector<unsigned char> out(padded.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(),
                          reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) < padding)
    throw std::runtime_error("bad base64url: " + std::string{text});
  // EVP_DecodeBlock counts the zero bytes that padding stands for.
  return std::string(reinterpret_cast<const char*>(out.data()),
                     static_cast<std::size_t>(n) - padding);
}

std::string forge_token(const nlohmann::json& header,
                        const nlohmann::json& payload, const std::string& key) {
  auto signing_input
    = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  return signing_input + "." + base64url_encode(hs256(key, signing_input));
}

std::string forge_token(const std::string& sub, std::int64_t iat,
                        std::int64_t exp) {
  return forge_token({{"alg", "HS256"}, {"typ", "JWT"}},
                     {{"sub", sub}, {"iat", iat}, {"exp", exp}});
}

nlohmann::json token_payload(const std::string& token) {
  return nlohmann::json::parse(base64url_decode(split(token).payload));
}

std::string replace_payload(const std::string& token,
                            const nlohmann::json& payload) {
  auto parts = split(token);
  return parts.header + "." + base64url_encode(payload.dump()) + "."
         + parts.signature;
}

std::string corrupt_signature(const std::string& token) {
  auto parts = split(token);
  if (parts.signature.empty())
    throw std::runtime_error("token has no signature: " + token);
  // Change the first character: the last one may carry only padding bits,
  // which some decoders ignore, so changing it might not change the bytes.
  auto& c = parts.signature.front();
  c = c == 'A' ? 'B' : 'A';
  return parts.header + "." + parts.payload + "." + parts.signature;
}

} // namespace itest

namespace itest {

std::string forge_oauth_state(std::int64_t expires, const std::string& key) {
  auto signed_part
    = "0123456789abcdef0123456789abcdef." + std::to_string(expires);
  return signed_part + "."
         + base64url_encode(hs256(key, "parley-oauth-state." + signed_part));
}

} // namespace itest
