#include "api.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>

#include <catch2/catch.hpp>

namespace itest {

namespace {

// Random per process: a pid alone repeats across runs against the same,
// never emptied, database.
const std::string& run_tag() {
  static const std::string tag = [] {
    std::random_device device;
    char text[16];
    std::snprintf(text, sizeof text, "%06x", device() & 0xFFFFFFu);
    return std::string{text};
  }();
  return tag;
}

std::string with_before(const std::string& target, const std::string& before) {
  return before.empty() ? target : target + "?before=" + url_encode(before);
}

} // namespace

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + run_tag() + "-"
         + std::to_string(++counter);
}

std::string upper(std::string text) {
  for (auto& c : text)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return text;
}

header_list bearer(const std::string& token) {
  if (token.empty())
    return {};
  return {{"Authorization", "Bearer " + token}};
}

http_response api::send(const std::string& method, const std::string& target,
                        const std::string& body,
                        const header_list& headers) const {
  return request(port_, method, target, body, headers);
}

http_response api::get(const std::string& target,
                       const std::string& token) const {
  return request(port_, "GET", target, {}, bearer(token));
}

http_response api::post(const std::string& target, const json& body,
                        const std::string& token) const {
  auto headers = bearer(token);
  headers.emplace_back("Content-Type", "application/json");
  return request(port_, "POST", target, body.dump(), headers);
}

http_response api::post_empty(const std::string& target,
                              const std::string& token) const {
  return request(port_, "POST", target, {}, bearer(token));
}

user_session api::login(const std::string& username) const {
  auto response = post("/api/login", {{"username", username}});
  INFO("login " << username << " -> " << response.body);
  REQUIRE(response.status == 200);
  auto body = response.json();
  user_session session;
  session.user = body.at("authUser");
  session.id = session.user.at("id").get<std::string>();
  session.username = session.user.at("username").get<std::string>();
  session.token = body.at("token").get<std::string>();
  return session;
}

json api::start_conversation(const user_session& from,
                             const std::string& other_username) const {
  auto response
    = post("/api/conversations", {{"username", other_username}}, from.token);
  INFO("start conversation " << from.username << " -> " << other_username
                             << ": " << response.body);
  REQUIRE((response.status == 201 || response.status == 200));
  return response.json();
}

std::string api::conversation_with_new_user(const user_session& from) const {
  auto other = login(unique_name("other"));
  return start_conversation(from, other.username).at("id").get<std::string>();
}

json api::send_message(const user_session& from,
                       const std::string& conversation_id,
                       const std::string& content) const {
  auto response = post("/api/conversations/" + conversation_id + "/messages",
                       {{"content", content}}, from.token);
  INFO("send message as " << from.username << ": " << response.body);
  REQUIRE(response.status == 201);
  return response.json();
}

json api::messages(const user_session& as, const std::string& conversation_id,
                   const std::string& before) const {
  auto target = "/api/conversations/" + conversation_id + "/messages";
  auto response = get(with_before(target, before), as.token);
  INFO("list messages as " << as.username << ": " << response.body);
  REQUIRE(response.status == 200);
  return response.json();
}

json api::conversations(const user_session& as,
                        const std::string& before) const {
  auto response = get(with_before("/api/conversations", before), as.token);
  INFO("list conversations as " << as.username << ": " << response.body);
  REQUIRE(response.status == 200);
  return response.json();
}

json api::conversation(const user_session& as, const std::string& id) const {
  auto response = get("/api/conversations/" + id, as.token);
  INFO("get conversation " << id << " as " << as.username << ": "
                           << response.body);
  REQUIRE(response.status == 200);
  return response.json();
}

void api::check_healthy() const {
  auto response = get("/healthz");
  INFO("healthz: " << response.status << " " << response.body);
  CHECK(response.status == 200);
  CHECK(response.json() == json{{"status", "ok"}});
}

} // namespace itest
