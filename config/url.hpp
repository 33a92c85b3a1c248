#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

/// An absolute http(s) URL, split as a client connects to it.
struct url_parts {
  bool tls = false;   ///< https
  std::string host;   ///< name or address, without brackets
  uint16_t port = 0;  ///< explicit, or 80 / 443
  std::string target; ///< path and query, at least "/"
};

/// Splits "https://host[:port][/path][?query]"; nullopt for any other scheme,
/// an empty or malformed host or port, user info, a fragment, or a byte
/// that must not appear in a request line (space, control). Used by the
/// config check and by the outbound HTTP client (net/http_fetch.hpp).
std::optional<url_parts> parse_url(std::string_view url);

} // namespace parley
