#include "config/url.hpp"

#include <cctype>

namespace parley {

namespace {

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// Bytes a request line may carry as they are (RFC 3986's unreserved,
// reserved and '%'), not space, controls or non-ASCII.
bool is_target_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '#' && c != '"' && c != '<' && c != '>'
         && c != '\\' && c != '^' && c != '`' && c != '{' && c != '|'
         && c != '}';
}

std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5)
    return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(value);
}

} // namespace

std::optional<url_parts> parse_url(std::string_view url) {
  url_parts out;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  auto slash = url.find_first_of("/?");
  auto authority = url.substr(0, slash);
  auto rest
    = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  out.port = out.tls ? 443 : 80;
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return std::nullopt;
      auto port = parse_port(after.substr(1));
      if (!port)
        return std::nullopt;
      out.port = *port;
    }
    for (char c : host)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
        return std::nullopt;
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      auto port = parse_port(authority.substr(colon + 1));
      if (!port)
        return std::nullopt;
      out.port = *port;
      host = authority.substr(0, colon);
    }
    for (char c : host)
      if (!is_host_char(c))
        return std::nullopt;
  }
  if (host.empty())
    return std::nullopt;
  for (char c : rest)
    if (!is_target_char(c))
      return std::nullopt;
  out.host = std::string{host};
  out.target = rest.empty() ? "/" : std::string{rest};
  if (out.target.front() == '?')
    out.target.insert(0, "/");
  return out;
}

} // namespace parley
