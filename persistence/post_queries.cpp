#include "persistence/post_queries.hpp"

#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "persistence/pg_array.hpp"
#include "persistence/queries.hpp"

namespace parley::queries {

namespace {

using outcome = caf::expected<created_message>;

// The rows statement 3 writes, one array per column.
struct batch_rows {
  std::vector<int64_t> msg_id, msg_user, msg_conv;
  std::vector<std::string> msg_content;
  std::map<int64_t, int64_t> last_message;    // conversation -> newest id
  std::set<std::pair<int64_t, int64_t>> read; // (sender, conversation)
  std::map<int64_t, int64_t> last_seq;        // user -> newest seq
  std::vector<int64_t> inbox_user, inbox_seq, inbox_msg;
};

// Participants of each conversation of the batch, and their counters, read
// under the row locks that make seq order commit order.
struct locked_users {
  std::unordered_map<int64_t, std::vector<int64_t>> members; // conv -> users
  std::unordered_map<int64_t, int64_t> seq;                  // user -> last
};

locked_users lock_participants(pqxx::work& tx,
                               const std::vector<new_message>& posts) {
  // Each conversation once: a repeated one would list its members twice.
  std::set<int64_t> unique;
  for (const auto& p : posts)
    unique.insert(p.conversation_id);
  std::vector<int64_t> convs{unique.begin(), unique.end()};
  locked_users out;
  for (const auto& row : tx.exec_prepared("msg_lock_batch", pg_array(convs))) {
    auto user = row[1].as<int64_t>();
    out.members[row[0].as<int64_t>()].push_back(user);
    out.seq[user] = row[2].as<int64_t>();
  }
  return out;
}

bool is_member(const locked_users& locked, const new_message& p) {
  auto it = locked.members.find(p.conversation_id);
  if (it == locked.members.end())
    return false;
  for (auto user : it->second)
    if (user == p.caller)
      return true;
  return false;
}

// Fills `created` (and the rows to write) for one valid post.
void add_post(const new_message& p, int64_t id, const std::string& created_at,
              locked_users& locked, batch_rows& rows,
              created_message& created) {
  created.msg = message{id, p.content, p.caller, p.conversation_id, created_at};
  rows.msg_id.push_back(id);
  rows.msg_content.push_back(p.content);
  rows.msg_user.push_back(p.caller);
  rows.msg_conv.push_back(p.conversation_id);
  rows.last_message[p.conversation_id] = id; // ids grow in batch order
  rows.read.emplace(p.caller, p.conversation_id);
  for (auto user : locked.members[p.conversation_id]) {
    auto seq = ++locked.seq[user];
    rows.last_seq[user] = seq;
    created.recipients.push_back(recipient{user, seq});
    rows.inbox_user.push_back(user);
    rows.inbox_seq.push_back(seq);
    rows.inbox_msg.push_back(id);
  }
}

std::vector<int64_t> keys(const std::map<int64_t, int64_t>& m) {
  std::vector<int64_t> out;
  for (const auto& kv : m)
    out.push_back(kv.first);
  return out;
}

std::vector<int64_t> values(const std::map<int64_t, int64_t>& m) {
  std::vector<int64_t> out;
  for (const auto& kv : m)
    out.push_back(kv.second);
  return out;
}

void write_rows(pqxx::work& tx, const batch_rows& r) {
  std::vector<int64_t> read_user, read_conv;
  for (const auto& [user, conv] : r.read) {
    read_user.push_back(user);
    read_conv.push_back(conv);
  }
  tx.exec_prepared(
    "msg_write", pg_array(r.msg_id), pg_array(r.msg_content),
    pg_array(r.msg_user), pg_array(r.msg_conv), pg_array(keys(r.last_message)),
    pg_array(values(r.last_message)), pg_array(read_user), pg_array(read_conv),
    pg_array(keys(r.last_seq)), pg_array(values(r.last_seq)),
    pg_array(r.inbox_user), pg_array(r.inbox_seq), pg_array(r.inbox_msg));
}

} // namespace

void prepare_posts(pqxx::connection& conn) {
  // Held to commit: a user's seq order is commit order (SPEC §1).
  // Driven by the array (not `= ANY`), so the generic plan is index
  // lookups, never a hash join over all users.
  conn.prepare("msg_lock_batch",
               "SELECT p.conversation_id, u.id, u.last_seq"
               " FROM unnest($1::bigint[]) AS b(cid)"
               " JOIN participants p ON p.conversation_id = b.cid"
               " JOIN users u ON u.id = p.user_id"
               " ORDER BY u.id FOR UPDATE OF u");
  // Ids in batch order, and the one creation time of the transaction.
  conn.prepare("msg_ids",
               "SELECT nextval('messages_id_seq'), to_char(now() AT TIME ZONE"
               " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
               " FROM generate_series(1, $1)");
  // Every row of the batch in one statement; conversations, read cursors
  // and counters appear once each (UPDATE … FROM takes one match per row).
  conn.prepare(
    "msg_write",
    "WITH m AS (INSERT INTO messages (id, content, user_id, conversation_id)"
    "   SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[],"
    "   $4::bigint[])),"
    " c AS (UPDATE conversations SET last_message_id = v.mid"
    "   FROM unnest($5::bigint[], $6::bigint[]) AS v(cid, mid)"
    "   WHERE conversations.id = v.cid),"
    " r AS (UPDATE participants SET messages_read_at = now()"
    "   FROM unnest($7::bigint[], $8::bigint[]) AS v(uid, cid)"
    "   WHERE participants.user_id = v.uid"
    "   AND participants.conversation_id = v.cid),"
    " s AS (UPDATE users SET last_seq = v.seq"
    "   FROM unnest($9::bigint[], $10::bigint[]) AS v(uid, seq)"
    "   WHERE users.id = v.uid)"
    " INSERT INTO deliveries (user_id, seq, message_id)"
    " SELECT * FROM unnest($11::bigint[], $12::bigint[], $13::bigint[])");
}

std::vector<outcome> create_messages(pqxx::work& tx,
                                     const std::vector<new_message>& posts) {
  auto locked = lock_participants(tx, posts);
  std::vector<outcome> out;
  out.reserve(posts.size());
  size_t valid = 0;
  for (const auto& p : posts) {
    if (is_member(locked, p)) {
      out.emplace_back(created_message{});
      ++valid;
    } else {
      out.emplace_back(not_found_for(tx, p.caller));
    }
  }
  if (valid == 0)
    return out;
  auto ids = tx.exec_prepared("msg_ids", static_cast<int64_t>(valid));
  batch_rows rows;
  size_t next = 0;
  for (size_t i = 0; i < posts.size(); ++i) {
    if (!out[i])
      continue;
    const auto& id_row = ids.at(next++);
    add_post(posts[i], id_row[0].as<int64_t>(), id_row[1].as<std::string>(),
             locked, rows, *out[i]);
  }
  write_rows(tx, rows);
  return out;
}

} // namespace parley::queries
