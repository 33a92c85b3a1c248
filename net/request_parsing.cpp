#include "net/request_parsing.hpp"

#include <cctype>
#include <ctime>

#include "net/text.hpp"

namespace parley {

namespace {

bool is_json_content_type(std::string_view value) {
  std::string lower;
  for (char ch : value.substr(0, value.find(';')))
    if (ch != ' ' && ch != '\t')
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower == "application/json";
}

} // namespace

std::variant<nlohmann::json, http_response>
parse_json_body(const http_request& req) {
  const auto& body = req.body();
  if (!body.empty()
      && !is_json_content_type(to_sv(req[http::field::content_type])))
    return error_response(http::status::unsupported_media_type,
                          "Content-Type must be application/json");
  if (body.empty())
    return error_response(http::status::bad_request,
                          "Request body must be a JSON object");
  if (!is_valid_utf8(body))
    return error_response(http::status::bad_request,
                          "Request body is not valid UTF-8");
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded())
    return error_response(http::status::bad_request, "Malformed JSON");
  if (!json.is_object())
    return validation_error("body", "Expected a JSON object");
  return json;
}

std::variant<std::string, http_response>
string_field(const nlohmann::json& body, const char* field,
             const char* required_text) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null())
    return validation_error(field, required_text);
  if (!it->is_string())
    return validation_error(field, std::string{field} + " must be a string");
  return it->get<std::string>();
}

std::variant<std::string, http_response>
body_string_field(const http_request& req, const char* field,
                  const char* required_text) {
  auto body = parse_json_body(req);
  if (auto* err = std::get_if<http_response>(&body))
    return std::move(*err);
  return string_field(std::get<nlohmann::json>(body), field, required_text);
}

std::variant<std::string, http_response>
idempotency_key(const http_request& req) {
  auto it = req.find("Idempotency-Key");
  if (it == req.end())
    return std::string{};
  std::string key{to_sv(it->value())};
  if (!is_valid_idempotency_key(key))
    return validation_error("Idempotency-Key",
                            "Idempotency-Key must be 1 to 64 visible ASCII "
                            "characters");
  return key;
}

std::optional<std::string>
find_token(const http_request& req,
           const std::map<std::string, std::string>& query) {
  auto auth = to_sv(req[http::field::authorization]);
  constexpr std::string_view bearer = "Bearer ";
  if (auth.size() > bearer.size() && auth.substr(0, bearer.size()) == bearer)
    return std::string{auth.substr(bearer.size())};
  if (auto cookie
      = cookie_value(to_sv(req[http::field::cookie]), "parley_token");
      cookie && !cookie->empty())
    return cookie;
  if (auto it = query.find("token"); it != query.end() && !it->second.empty())
    return it->second;
  return std::nullopt;
}

std::optional<int64_t>
before_cursor(const std::map<std::string, std::string>& query) {
  auto it = query.find("before");
  if (it == query.end() || it->second.empty())
    return int64_t{0};
  return parse_id(it->second);
}

std::string rfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

} // namespace parley
