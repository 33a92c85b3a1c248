#include "persistence/queries.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>

#include "actors/errors.hpp"
#include "persistence/inbox_queries.hpp"
#include "persistence/post_queries.hpp"
#include "persistence/sql_text.hpp"

namespace parley::queries {

namespace {

// Columns of a conversation seen by participant p: other user o, message m.
constexpr const char* conversation_columns
  = "SELECT c.id, o.id, o.username, o.avatar_url,"
    " m.id, m.content, m.user_id, " PARLEY_TS(
      "m.created_at") ","
                      " COALESCE(p.last_read_message_id < m.id, false)"
                      " FROM participants p"
                      " JOIN conversations c ON c.id = p.conversation_id"
                      " JOIN participants op ON op.conversation_id = c.id"
                      "  AND op.user_id <> p.user_id"
                      " JOIN users o ON o.id = op.user_id";

// A prefix search can use the username index only when its plan knows the
// prefix: search_usernames plans it per call (the workers' sessions force
// generic plans otherwise, db_worker.cpp).
constexpr const char* user_search_sql
  = "SELECT username FROM users"
    " WHERE lower(username) LIKE lower($1) || '%' ESCAPE '\\'"
    " AND id <> $2 ORDER BY lower(username) LIMIT 5";

user to_user(const pqxx::row& row, int first) {
  user u;
  u.id = row[first].as<int64_t>();
  u.username = row[first + 1].as<std::string>();
  if (!row[first + 2].is_null())
    u.avatar_url = row[first + 2].as<std::string>();
  return u;
}

conversation to_conversation(const pqxx::row& row) {
  conversation c;
  c.id = row[0].as<int64_t>();
  c.other = to_user(row, 1);
  if (!row[4].is_null())
    c.last_message = to_message(row, 4, c.id);
  c.has_unread = row[8].as<bool>();
  return c;
}

} // namespace

message to_message(const pqxx::row& row, int first, int64_t conversation_id) {
  message m;
  m.id = row[first].as<int64_t>();
  m.content = row[first + 1].as<std::string>();
  m.user_id = row[first + 2].as<int64_t>();
  m.created_at = row[first + 3].as<std::string>();
  m.conversation_id = conversation_id;
  return m;
}

caf::error not_found_for(pqxx::transaction_base& tx, int64_t caller) {
  if (tx.exec_prepared("user_by_id", caller).empty())
    return make_error(ec::unknown_caller);
  return make_error(ec::not_found);
}

void prepare(pqxx::connection& conn) {
  prepare_posts(conn);
  prepare_inbox(conn);
  conn.prepare("user_insert", "INSERT INTO users (username) VALUES ($1)"
                              " ON CONFLICT DO NOTHING");
  conn.prepare("user_by_name",
               "SELECT id, username, avatar_url, github_id IS NOT NULL"
               " FROM users WHERE lower(username) = lower($1)");
  conn.prepare("user_by_github", "SELECT id, username, avatar_url FROM users"
                                 " WHERE github_id = $1");
  // ON CONFLICT DO NOTHING covers every unique index: the name (in any
  // case) or the GitHub id taken; the caller tells which.
  conn.prepare("github_user_insert",
               "INSERT INTO users (username, avatar_url, github_id)"
               " VALUES ($1, NULLIF($2, ''), $3) ON CONFLICT DO NOTHING"
               " RETURNING id, username, avatar_url");
  conn.prepare("github_avatar_update",
               "UPDATE users SET avatar_url = NULLIF($2, '') WHERE id = $1"
               " AND avatar_url IS DISTINCT FROM NULLIF($2, '')");
  conn.prepare("user_by_id",
               "SELECT id, username, avatar_url FROM users WHERE id = $1");
  conn.prepare("conv_insert",
               "INSERT INTO conversations (user_low, user_high) VALUES ($1, $2)"
               " ON CONFLICT (user_low, user_high) DO NOTHING RETURNING id");
  conn.prepare("conv_by_pair", "SELECT id FROM conversations"
                               " WHERE user_low = $1 AND user_high = $2");
  conn.prepare("participants_insert",
               "INSERT INTO participants (user_id, conversation_id)"
               " VALUES ($1, $3), ($2, $3)");
  conn.prepare(
    "conv_list",
    std::string{conversation_columns}
      + " JOIN messages m ON m.id = c.last_message_id"
        " WHERE p.user_id = $1 AND ($2 = 0 OR c.last_message_id <"
        "  (SELECT last_message_id FROM conversations WHERE id = $2))"
        " ORDER BY c.last_message_id DESC LIMIT "
      + std::to_string(page_size));
  conn.prepare("conv_get",
               std::string{conversation_columns}
                 + " LEFT JOIN messages m ON m.id = c.last_message_id"
                   " WHERE p.user_id = $1 AND p.conversation_id = $2");
  conn.prepare("conv_other",
               "SELECT o.id, o.username, o.avatar_url FROM participants p"
               " JOIN participants op ON op.conversation_id = p.conversation_id"
               "  AND op.user_id <> p.user_id"
               " JOIN users o ON o.id = op.user_id"
               " WHERE p.user_id = $1 AND p.conversation_id = $2");
  conn.prepare("msg_list",
               "SELECT id, content, user_id, " PARLEY_TS(
                 "created_at") " FROM messages WHERE conversation_id = $1"
                               " AND id < $2 ORDER BY id DESC LIMIT "
                 + std::to_string(page_size));
  // Read up to the last message this statement sees: one still committing
  // is newer, and stays unread (migration 004). Never backwards.
  conn.prepare("mark_read",
               "UPDATE participants p SET messages_read_at = now(),"
               " last_read_message_id = GREATEST(p.last_read_message_id,"
               "  COALESCE(c.last_message_id, 0))"
               " FROM conversations c WHERE p.user_id = $1"
               " AND p.conversation_id = $2 AND c.id = p.conversation_id"
               " RETURNING 1");
}

std::string escape_like(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '\\' || ch == '%' || ch == '_')
      out += '\\';
    out += ch;
  }
  return out;
}

namespace {

// A dev login's user row: GitHub users' accounts are theirs alone, and the
// development login asks no password, so it may not open them.
caf::expected<user> dev_login_user(const pqxx::row& row) {
  if (row[3].as<bool>())
    return make_error(ec::forbidden);
  return to_user(row, 0);
}

} // namespace

caf::expected<user> find_or_create_user(pqxx::work& tx,
                                        const std::string& username) {
  auto rows = tx.exec_prepared("user_by_name", username);
  if (!rows.empty())
    return dev_login_user(rows[0]);
  // ON CONFLICT DO NOTHING: a concurrent login of the same name is harmless;
  // the row found then may be a GitHub user's, made meanwhile.
  tx.exec_prepared("user_insert", username);
  rows = tx.exec_prepared("user_by_name", username);
  if (rows.empty())
    return make_error(ec::not_found);
  return dev_login_user(rows[0]);
}

std::vector<std::string> username_candidates(const std::string& login,
                                             int64_t github_id,
                                             const std::string& tag) {
  std::vector<std::string> names{login};
  for (int n = 2; n <= 9; ++n)
    names.push_back(login.substr(0, 37) + "-" + std::to_string(n));
  auto by_id = "github-" + std::to_string(github_id);
  names.push_back(by_id);
  names.push_back(by_id + "-" + tag);
  return names;
}

namespace {

// 8 hex digits: one name in four billion, so the last candidate is free
// unless someone guesses it while this sign-in runs.
std::string random_tag() {
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x",
                static_cast<unsigned>(std::random_device{}() & 0xffffffffu));
  return tag;
}

} // namespace

caf::expected<user> find_or_create_github_user(pqxx::work& tx,
                                               int64_t github_id,
                                               const std::string& login,
                                               const std::string& avatar_url) {
  auto rows = tx.exec_prepared("user_by_github", github_id);
  if (!rows.empty()) {
    auto u = to_user(rows[0], 0);
    tx.exec_prepared("github_avatar_update", u.id, avatar_url);
    u.avatar_url = avatar_url.empty() ? std::nullopt
                                      : std::optional<std::string>{avatar_url};
    return u;
  }
  for (const auto& name : username_candidates(login, github_id, random_tag())) {
    rows = tx.exec_prepared("github_user_insert", name, avatar_url, github_id);
    if (!rows.empty())
      return to_user(rows[0], 0);
    // A concurrent first sign-in of the same account won: that user.
    rows = tx.exec_prepared("user_by_github", github_id);
    if (!rows.empty())
      return to_user(rows[0], 0);
  }
  // Even the random name was taken meanwhile: a fault, not the user's.
  return make_error(ec::db_error);
}

caf::expected<user> find_user(pqxx::transaction_base& tx, int64_t id) {
  auto rows = tx.exec_prepared("user_by_id", id);
  if (rows.empty())
    return make_error(ec::not_found);
  return to_user(rows[0], 0);
}

caf::expected<std::vector<std::string>>
search_usernames(pqxx::work& tx, int64_t caller, const std::string& prefix) {
  if (tx.exec_prepared("user_by_id", caller).empty())
    return make_error(ec::unknown_caller);
  // For this transaction only: a custom plan, made with the prefix.
  tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
  std::vector<std::string> names;
  for (const auto& row :
       tx.exec_params(user_search_sql, escape_like(prefix), caller))
    names.push_back(row[0].as<std::string>());
  return names;
}

caf::expected<conversation_reply>
create_conversation(pqxx::work& tx, int64_t caller,
                    const std::string& username) {
  if (tx.exec_prepared("user_by_id", caller).empty())
    return make_error(ec::unknown_caller);
  auto others = tx.exec_prepared("user_by_name", username);
  if (others.empty())
    return make_error(ec::not_found);
  auto other = others[0][0].as<int64_t>();
  if (other == caller)
    return make_error(ec::forbidden);
  auto low = std::min(caller, other);
  auto high = std::max(caller, other);
  conversation_reply reply;
  // The unique pair constraint decides races: the loser's insert waits for
  // the winner's commit, returns no row, and then finds the winner's row.
  auto inserted = tx.exec_prepared("conv_insert", low, high);
  int64_t id = 0;
  if (!inserted.empty()) {
    id = inserted[0][0].as<int64_t>();
    tx.exec_prepared("participants_insert", caller, other, id);
    reply.created = true;
  } else {
    id = tx.exec_prepared("conv_by_pair", low, high).at(0)[0].as<int64_t>();
  }
  auto conv = get_conversation(tx, caller, id);
  if (!conv)
    return conv.error();
  reply.conv = std::move(*conv);
  return reply;
}

caf::expected<conversation_list>
list_conversations(pqxx::work& tx, int64_t caller, int64_t before) {
  conversation_list list;
  for (const auto& row : tx.exec_prepared("conv_list", caller, before))
    list.push_back(to_conversation(row));
  // An empty list may mean the caller does not exist: tell that apart.
  if (list.empty() && tx.exec_prepared("user_by_id", caller).empty())
    return make_error(ec::unknown_caller);
  return list;
}

caf::expected<conversation> get_conversation(pqxx::work& tx, int64_t caller,
                                             int64_t id) {
  auto rows = tx.exec_prepared("conv_get", caller, id);
  if (rows.empty())
    return not_found_for(tx, caller);
  return to_conversation(rows[0]);
}

caf::expected<user> other_participant(pqxx::work& tx, int64_t caller,
                                      int64_t conversation_id) {
  auto rows = tx.exec_prepared("conv_other", caller, conversation_id);
  if (rows.empty())
    return not_found_for(tx, caller);
  return to_user(rows[0], 0);
}

caf::expected<message_list> list_messages(pqxx::work& tx, int64_t caller,
                                          int64_t conversation_id,
                                          int64_t before) {
  // Reading the list marks the conversation read, in the same transaction.
  if (auto ok = mark_read(tx, caller, conversation_id); !ok)
    return ok.error();
  message_list list;
  // No cursor: below every id. A plain range keeps the generic plan an
  // index range scan (db_worker.cpp forces generic plans).
  if (before <= 0)
    before = std::numeric_limits<int64_t>::max();
  for (const auto& row : tx.exec_prepared("msg_list", conversation_id, before))
    list.push_back(to_message(row, 0, conversation_id));
  return list;
}

caf::expected<void> mark_read(pqxx::work& tx, int64_t caller,
                              int64_t conversation_id) {
  if (tx.exec_prepared("mark_read", caller, conversation_id).empty())
    return not_found_for(tx, caller);
  return caf::unit;
}

} // namespace parley::queries
