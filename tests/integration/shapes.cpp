#include "shapes.hpp"

#include <ctime>
#include <regex>

#include <catch2/catch.hpp>

namespace itest {

using nlohmann::json;

std::set<std::string> keys_of(const json& value) {
  std::set<std::string> keys;
  if (value.is_object())
    for (const auto& item : value.items())
      keys.insert(item.key());
  return keys;
}

bool is_id(const json& value) {
  static const std::regex digits{"[1-9][0-9]{0,18}"};
  return value.is_string()
         && std::regex_match(value.get<std::string>(), digits);
}

std::int64_t id_number(const json& value) {
  return std::stoll(value.get<std::string>());
}

std::optional<std::chrono::system_clock::time_point>
parse_time(const std::string& text) {
  static const std::regex rfc3339{
    R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,9})Z)"};
  std::smatch m;
  if (!std::regex_match(text, m, rfc3339))
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  // Fraction to microseconds: "5" is 500000, "123456789" is 123456.
  auto fraction = (m[7].str() + "000000").substr(0, 6);
  auto seconds = timegm(&tm);
  return std::chrono::system_clock::from_time_t(seconds)
         + std::chrono::microseconds{std::stoll(fraction)};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void check_user(const json& user) {
  INFO("user: " << user.dump());
  CHECK(keys_of(user) == std::set<std::string>{"id", "username", "avatarURL"});
  CHECK(is_id(user.value("id", json{})));
  CHECK(user.value("username", json{}).is_string());
  auto avatar = user.value("avatarURL", json{});
  CHECK((avatar.is_null() || avatar.is_string()));
}

void check_message(const json& message, bool mine) {
  INFO("message: " << message.dump());
  CHECK(keys_of(message)
        == std::set<std::string>{"id", "content", "conversationId", "createdAt",
                                 "mine"});
  CHECK(is_id(message.value("id", json{})));
  CHECK(message.value("content", json{}).is_string());
  CHECK(is_id(message.value("conversationId", json{})));
  auto created = message.value("createdAt", json{});
  CHECK(created.is_string());
  CHECK(parse_time(created.is_string() ? created.get<std::string>() : ""));
  CHECK(message.value("mine", json{}) == json(mine));
}

void check_conversation(const json& conversation) {
  INFO("conversation: " << conversation.dump());
  CHECK(keys_of(conversation)
        == std::set<std::string>{"id", "otherParticipant", "lastMessage",
                                 "hasUnreadMessages"});
  CHECK(is_id(conversation.value("id", json{})));
  check_user(conversation.value("otherParticipant", json{}));
  CHECK(conversation.value("hasUnreadMessages", json{}).is_boolean());
  auto last = conversation.value("lastMessage", json{});
  if (!last.is_null()) {
    CHECK(keys_of(last).count("mine") == 1);
    check_message(last, last.value("mine", false));
    CHECK(last.value("conversationId", json{})
          == conversation.value("id", json{}));
  }
}

void check_json_type(const http_response& response) {
  auto type = response.header("Content-Type");
  INFO("Content-Type: " << type);
  CHECK(type.rfind("application/json", 0) == 0);
}

void check_error(const http_response& response, int status) {
  INFO("response: " << response.status << " " << response.body);
  CHECK(response.status == status);
  check_json_type(response);
  auto body = json::parse(response.body, nullptr, false);
  REQUIRE(body.is_object());
  auto message = body.value("message", json{});
  CHECK((message.is_string() && !message.get<std::string>().empty()));
}

void check_validation_error(const http_response& response,
                            const std::string& field) {
  check_error(response, 422);
  auto body = json::parse(response.body, nullptr, false);
  INFO("422 body: " << response.body);
  CHECK(body.value("message", "") == "Validation failed");
  auto errors = body.value("errors", json{});
  REQUIRE(errors.is_object());
  CHECK(errors.value(field, json{}).is_string());
}

} // namespace itest
