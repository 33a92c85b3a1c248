#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "http_client.hpp"

namespace itest {

using nlohmann::json;

/// A logged-in user as the tests use it.
struct user_session {
  std::string id;
  std::string username;
  std::string token;
  json user; // the User object exactly as login returned it
};

/// A username no other test process (and no earlier run against the same
/// database) uses: `<prefix>-<pid>-<random>-<counter>`, at most 30 chars
/// for a prefix of up to 6, so tests may append a short suffix.
std::string unique_name(const std::string& prefix);

/// `text` with ASCII letters upper-cased.
std::string upper(std::string text);

/// An `Authorization: Bearer <token>` header list (empty for "").
header_list bearer(const std::string& token);

/// Thin helpers over one running server's HTTP API. The REQUIRE-ing
/// helpers (login, start_conversation, …) are for steps that are set-up,
/// not the behaviour under test; call them only from the test's thread.
class api {
public:
  explicit api(std::uint16_t port) : port_(port) {}

  std::uint16_t port() const {
    return port_;
  }

  /// Any request, passed through unchanged.
  http_response send(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const header_list& headers = {}) const;

  /// GET with an optional bearer token.
  http_response get(const std::string& target,
                    const std::string& token = {}) const;

  /// POST of `body` as application/json with an optional bearer token.
  http_response post(const std::string& target, const json& body,
                     const std::string& token = {}) const;

  /// POST of an empty body (refresh_token, read_messages).
  http_response post_empty(const std::string& target,
                           const std::string& token = {}) const;

  /// POST /api/login; REQUIREs 200.
  user_session login(const std::string& username) const;

  /// POST /api/conversations; REQUIREs 200 or 201; the Conversation.
  json start_conversation(const user_session& from,
                          const std::string& other_username) const;

  /// Logs in a fresh user and starts a conversation with them as `from`;
  /// the conversation's id.
  std::string conversation_with_new_user(const user_session& from) const;

  /// POST …/messages; REQUIREs 201; the Message.
  json send_message(const user_session& from,
                    const std::string& conversation_id,
                    const std::string& content) const;

  /// GET …/messages (with `?before=` unless empty); REQUIREs 200.
  json messages(const user_session& as, const std::string& conversation_id,
                const std::string& before = {}) const;

  /// GET /api/conversations (with `?before=` unless empty); REQUIREs 200.
  json conversations(const user_session& as,
                     const std::string& before = {}) const;

  /// GET /api/conversations/{id}; REQUIREs 200.
  json conversation(const user_session& as, const std::string& id) const;

  /// CHECKs that /healthz answers 200 {"status":"ok"}.
  void check_healthy() const;

private:
  std::uint16_t port_;
};

/// Two fresh users and their conversation: the set-up of most message and
/// stream tests.
struct pair_fixture {
  explicit pair_fixture(const api& client)
      : alice(client.login(unique_name("alice"))),
        bob(client.login(unique_name("bob"))),
        id(client.start_conversation(alice, bob.username)
             .at("id")
             .get<std::string>()) {}

  user_session alice;
  user_session bob;
  std::string id;
};

} // namespace itest
