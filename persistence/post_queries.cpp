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

// What the write statement takes, one array per column. Messages are
// numbered 1… in batch order (`ord`); inbox rows name their message so.
struct batch_rows {
  std::vector<std::string> msg_content;
  std::vector<int64_t> msg_user, msg_conv;
  std::map<int64_t, int64_t> last_seq; // user -> newest seq
  std::vector<int64_t> inbox_user, inbox_seq, inbox_ord;
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

// Adds valid post number `ord` to the rows and gives every participant
// the next seq; `created` gets all but the id and time (known after write).
void add_post(const new_message& p, int64_t ord, locked_users& locked,
              batch_rows& rows, created_message& created) {
  created.msg = message{0, p.content, p.caller, p.conversation_id, {}};
  rows.msg_content.push_back(p.content);
  rows.msg_user.push_back(p.caller);
  rows.msg_conv.push_back(p.conversation_id);
  for (auto user : locked.members[p.conversation_id]) {
    auto seq = ++locked.seq[user];
    rows.last_seq[user] = seq;
    created.recipients.push_back(recipient{user, seq});
    rows.inbox_user.push_back(user);
    rows.inbox_seq.push_back(seq);
    rows.inbox_ord.push_back(ord);
  }
}

pqxx::result write_rows(pqxx::work& tx, const batch_rows& r) {
  std::vector<int64_t> users, seqs;
  for (const auto& [user, seq] : r.last_seq) {
    users.push_back(user);
    seqs.push_back(seq);
  }
  return tx.exec_prepared(
    "msg_write", pg_array(r.msg_content), pg_array(r.msg_user),
    pg_array(r.msg_conv), pg_array(users), pg_array(seqs),
    pg_array(r.inbox_user), pg_array(r.inbox_seq), pg_array(r.inbox_ord));
}

} // namespace

void prepare_posts(pqxx::connection& conn) {
  // Held to commit: a user's seq order is commit order (SPEC §1). Driven by
  // the array (not `= ANY`), so the generic plan is index lookups, never a
  // hash join over all users.
  conn.prepare("msg_lock_batch",
               "SELECT p.conversation_id, u.id, u.last_seq"
               " FROM unnest($1::bigint[]) AS b(cid)"
               " JOIN participants p ON p.conversation_id = b.cid"
               " JOIN users u ON u.id = p.user_id"
               " ORDER BY u.id FOR UPDATE OF u");
  // The whole batch in one statement. `input` is materialised once, so
  // each message takes one id, in batch order. Conversations and read
  // cursors are updated once each (UPDATE … FROM takes one match per row).
  // Returns each message's id and the transaction's time, in batch order.
  conn.prepare(
    "msg_write",
    "WITH input AS MATERIALIZED (SELECT nextval('messages_id_seq') AS id,"
    "   t.* FROM unnest($1::text[], $2::bigint[], $3::bigint[])"
    "   WITH ORDINALITY AS t(content, user_id, conv, ord)),"
    " m AS (INSERT INTO messages (id, content, user_id, conversation_id)"
    "   SELECT id, content, user_id, conv FROM input),"
    " c AS (UPDATE conversations SET last_message_id = v.mid"
    "   FROM (SELECT conv, max(id) AS mid FROM input GROUP BY conv) v"
    "   WHERE conversations.id = v.conv),"
    " r AS (UPDATE participants SET messages_read_at = now()"
    "   FROM (SELECT DISTINCT user_id, conv FROM input) v"
    "   WHERE participants.user_id = v.user_id"
    "   AND participants.conversation_id = v.conv),"
    " s AS (UPDATE users SET last_seq = v.seq"
    "   FROM unnest($4::bigint[], $5::bigint[]) AS v(uid, seq)"
    "   WHERE users.id = v.uid),"
    " d AS (INSERT INTO deliveries (user_id, seq, message_id)"
    "   SELECT v.uid, v.seq, input.id"
    "   FROM unnest($6::bigint[], $7::bigint[], $8::bigint[]) AS v(uid, seq,"
    "   ord) JOIN input ON input.ord = v.ord)"
    " SELECT ord, id, to_char(now() AT TIME ZONE 'UTC',"
    "   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM input ORDER BY ord");
}

std::vector<outcome> create_messages(pqxx::work& tx,
                                     const std::vector<new_message>& posts) {
  auto locked = lock_participants(tx, posts);
  std::vector<outcome> out;
  out.reserve(posts.size());
  std::vector<created_message*> valid; // in batch order: ord 1, 2, …
  batch_rows rows;
  for (const auto& p : posts) {
    if (!is_member(locked, p)) {
      out.emplace_back(not_found_for(tx, p.caller));
      continue;
    }
    out.emplace_back(created_message{});
  }
  for (size_t i = 0; i < posts.size(); ++i) {
    if (!out[i])
      continue;
    valid.push_back(&*out[i]);
    add_post(posts[i], static_cast<int64_t>(valid.size()), locked, rows,
             *out[i]);
  }
  if (valid.empty())
    return out;
  auto written = write_rows(tx, rows);
  for (const auto& row : written) {
    auto& msg = valid.at(row[0].as<size_t>() - 1)->msg;
    msg.id = row[1].as<int64_t>();
    msg.created_at = row[2].as<std::string>();
  }
  return out;
}

} // namespace parley::queries
