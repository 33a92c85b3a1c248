#include "net/json_mapping.hpp"

#include <string>

namespace parley {

nlohmann::json to_json(const user& u) {
  nlohmann::json j = {{"id", std::to_string(u.id)},
                      {"username", u.username},
                      {"avatarURL", nullptr}};
  if (u.avatar_url)
    j["avatarURL"] = *u.avatar_url;
  return j;
}

nlohmann::json to_json(const message& m, int64_t caller) {
  return {{"id", std::to_string(m.id)},
          {"content", m.content},
          {"conversationId", std::to_string(m.conversation_id)},
          {"createdAt", m.created_at},
          {"mine", m.user_id == caller}};
}

nlohmann::json to_json(const conversation& c, int64_t caller) {
  nlohmann::json j = {{"id", std::to_string(c.id)},
                      {"otherParticipant", to_json(c.other)},
                      {"lastMessage", nullptr},
                      {"hasUnreadMessages", c.has_unread}};
  if (c.last_message)
    j["lastMessage"] = to_json(*c.last_message, caller);
  return j;
}

nlohmann::json to_json(const conversation_list& list, int64_t caller) {
  auto json = nlohmann::json::array();
  for (const auto& c : list)
    json.push_back(to_json(c, caller));
  return json;
}

nlohmann::json to_json(const message_list& list, int64_t caller) {
  auto json = nlohmann::json::array();
  for (const auto& m : list)
    json.push_back(to_json(m, caller));
  return json;
}

std::string format_event(const message& m, int64_t receiver, int64_t seq) {
  // dump() escapes newlines, so the data stays on one line.
  return "id: " + std::to_string(seq) + "\ndata: "
         + to_json(m, receiver)
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
         + "\n\n";
}

} // namespace parley
