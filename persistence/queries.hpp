#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <pqxx/pqxx>

#include "actors/events.hpp"
#include "actors/model.hpp"

namespace parley::queries {

// The SQL of Parley, one function per use case. Each runs inside the caller's
// transaction; domain outcomes (not found, forbidden) come back as
// caf::expected errors, database failures as pqxx exceptions.

/// Prepares every statement below on a fresh connection.
void prepare(pqxx::connection& conn);

/// Page size of both lists (SPEC §4).
constexpr int page_size = 25;

/// The development login's user: found by name (in any case) or created;
/// forbidden for a user who signs in with GitHub.
caf::expected<user> find_or_create_user(pqxx::work& tx,
                                        const std::string& username);
/// The user of GitHub account `github_id`, created on its first sign-in
/// with the first free name of username_candidates; a later sign-in
/// updates the avatar and keeps the name. `avatar_url` "" is NULL.
caf::expected<user> find_or_create_github_user(pqxx::work& tx,
                                               int64_t github_id,
                                               const std::string& login,
                                               const std::string& avatar_url);
/// The names a new GitHub user may get, in order: `login` (a valid
/// username), `login-2` … `login-9` (shortened to fit 39 characters),
/// `github-<id>`, then `github-<id>-<tag>`: others may have taken the
/// first ten (by dev login, or a GitHub login chosen to squat them), and a
/// sign-in must not fail for it. `tag` is short, random, [0-9a-f].
std::vector<std::string> username_candidates(const std::string& login,
                                             int64_t github_id,
                                             const std::string& tag);
caf::expected<user> find_user(pqxx::transaction_base& tx, int64_t id);
/// Fails with not_found when the caller itself does not exist.
caf::expected<std::vector<std::string>>
search_usernames(pqxx::work& tx, int64_t caller, const std::string& prefix);

caf::expected<conversation_reply>
create_conversation(pqxx::work& tx, int64_t caller,
                    const std::string& username);
caf::expected<conversation_list>
list_conversations(pqxx::work& tx, int64_t caller, int64_t before);
caf::expected<conversation> get_conversation(pqxx::work& tx, int64_t caller,
                                             int64_t id);
caf::expected<user> other_participant(pqxx::work& tx, int64_t caller,
                                      int64_t conversation_id);

caf::expected<message_list> list_messages(pqxx::work& tx, int64_t caller,
                                          int64_t conversation_id,
                                          int64_t before);
caf::expected<void> mark_read(pqxx::work& tx, int64_t caller,
                              int64_t conversation_id);

/// The message in `row` from column `first` on: id, content, user_id,
/// created_at (formatted, PARLEY_TS).
message to_message(const pqxx::row& row, int first, int64_t conversation_id);

/// Why a participant lookup failed: the conversation is not the caller's
/// (not_found: 404), or the caller itself does not exist (unknown_caller:
/// 401, a token of a deleted user).
caf::error not_found_for(pqxx::transaction_base& tx, int64_t caller);

/// Escapes LIKE's metacharacters (`\`, `%`, `_`) so `text` matches literally.
std::string escape_like(const std::string& text);

} // namespace parley::queries
