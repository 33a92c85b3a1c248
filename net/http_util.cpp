#include "net/http_util.hpp"

#include <algorithm>
#include <sstream>

#include <boost/beast/http/write.hpp>
#include <openssl/rand.h>

#include <caf/sec.hpp>

#include "actors/errors.hpp"
#include "net/text.hpp"

namespace parley {

http_response json_response(http::status status, const nlohmann::json& body) {
  http_response res{status, 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  // Replace invalid UTF-8 rather than throw: a reply must never fail.
  res.body()
    = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.prepare_payload();
  return res;
}

http_response error_response(http::status status, std::string_view text) {
  return json_response(status, {{"message", text}});
}

http_response unauthorized() {
  return error_response(http::status::unauthorized,
                        "Missing, invalid or expired token");
}

std::string response_bytes(http_response res, std::string_view request_id) {
  res.set("X-Request-Id",
          boost::beast::string_view{request_id.data(), request_id.size()});
  res.keep_alive(false);
  std::ostringstream text;
  text << res;
  return text.str();
}

http_response too_many_requests(int64_t wait) {
  auto res = error_response(http::status::too_many_requests,
                            "Too many requests; try again in "
                              + std::to_string(wait) + " s");
  res.set(http::field::retry_after, std::to_string(wait));
  return res;
}

http_response too_many_streams() {
  auto res = error_response(http::status::too_many_requests,
                            "Too many event streams open for this user");
  // A slot frees when one of the user's streams closes, which nobody can
  // foresee: a guess that keeps a polling client slow.
  res.set(http::field::retry_after, "10");
  return res;
}

http_response validation_error(std::string_view field, std::string_view text) {
  return json_response(http::status::unprocessable_entity,
                       {{"message", "Validation failed"},
                        {"errors", {{std::string{field}, text}}}});
}

http_response error_response(const caf::error& err,
                             std::string_view not_found_text) {
  if (is(err, ec::not_found))
    return error_response(http::status::not_found, not_found_text);
  if (is(err, ec::unknown_caller))
    return unauthorized();
  if (is(err, ec::forbidden))
    return error_response(http::status::forbidden, "Forbidden");
  if (is(err, ec::key_reused))
    return validation_error("Idempotency-Key",
                            "Idempotency-Key already used for another message");
  if (is(err, ec::rate_limited))
    return too_many_requests(retry_after(err));
  if (is(err, ec::db_unavailable) || err == caf::sec::request_timeout) {
    auto res = error_response(http::status::service_unavailable,
                              "Service temporarily unavailable");
    res.set(http::field::retry_after, "1");
    return res;
  }
  return error_response(http::status::internal_server_error,
                        "Internal server error");
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto raw_key = pair.substr(0, eq);
    auto raw_value
      = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    auto key = percent_decode(raw_key, true);
    auto value = percent_decode(raw_value, true);
    out.emplace(key ? *key : std::string{raw_key},
                value ? *value : std::string{raw_value});
  }
  return out;
}

std::map<std::string, std::string> target_query(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {};
  return parse_query(target.substr(q + 1));
}

std::optional<std::string> cookie_value(std::string_view header,
                                        std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto item = header.substr(0, semi);
    header = semi == std::string_view::npos ? "" : header.substr(semi + 1);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    auto eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name)
      return std::string{item.substr(eq + 1)};
  }
  return std::nullopt;
}

std::string redact_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return std::string{target};
  std::string out{target.substr(0, q + 1)};
  auto query = target.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    auto key = pair.substr(0, pair.find('='));
    if (!first)
      out += '&';
    first = false;
    if (key == "token" || key == "code" || key == "state")
      out += std::string{key} + "=REDACTED";
    else
      out += pair;
  }
  return out;
}

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_'
              || ch == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::optional<std::string> random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(bytes))
      != 1)
    return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += hex[b >> 4];
    out += hex[b & 0x0f];
  }
  return out;
}

std::string make_request_id() {
  // Without random bytes, still an id, as before: the log stays readable.
  return random_hex(8).value_or("0000000000000000");
}

std::string set_cookie_value(std::string_view name, std::string_view value,
                             std::string_view same_site, std::string_view path,
                             int64_t max_age, std::string_view origin) {
  auto text = std::string{name} + "=" + std::string{value}
              + "; HttpOnly; SameSite=" + std::string{same_site} + "; Path="
              + std::string{path} + "; Max-Age=" + std::to_string(max_age);
  if (origin.rfind("https://", 0) == 0)
    text += "; Secure";
  return text;
}

http_response temporary_redirect(const std::string& location) {
  http_response res{http::status::temporary_redirect, 11};
  res.set(http::field::location, location);
  res.set(http::field::cache_control, "no-store");
  res.prepare_payload();
  return res;
}

} // namespace parley
