#include "persistence/post_queries.hpp"

#include <set>

#include "persistence/pg_array.hpp"
#include "persistence/queries.hpp"
#include "persistence/sql_text.hpp"

namespace parley::queries {

namespace {

// The batch as the statement takes it: one array per column, and each
// conversation once.
struct batch_columns {
  std::vector<std::string> content, key;
  std::vector<int64_t> caller, conv, unique_convs;
};

batch_columns columns(const std::vector<new_message>& posts) {
  batch_columns c;
  std::set<int64_t> unique;
  for (const auto& p : posts) {
    c.content.push_back(p.content);
    c.key.push_back(p.key);
    c.caller.push_back(p.caller);
    c.conv.push_back(p.conversation_id);
    unique.insert(p.conversation_id);
  }
  c.unique_convs.assign(unique.begin(), unique.end());
  return c;
}

} // namespace

void prepare_posts(pqxx::connection& conn) {
  // The whole batch in one statement (commit order = seq order, SPEC §1):
  // - locked: every participant's user row, locked in user-id order (so
  //   concurrent batches never deadlock) and held to commit; FOR UPDATE
  //   returns the newest counter even after waiting for another batch.
  // - valid: the posts whose caller is in their conversation and whose
  //   idempotency key (if any, '' for none) is new there, each with a new
  //   message id, in batch order.
  // - inbox: per participant, the next seqs in batch order.
  // Then messages, conversations' last message, senders' read cursors,
  // counters and inbox rows are written, each row once (UPDATE … FROM takes
  // one match per row). Arrays drive every join, so the generic plan is
  // index lookups. Returns one row per inbox row: ord, message id, time,
  // user, seq. A post with no row was refused, or repeats a key (a second
  // post with one key never shares a batch with the first, flush_posts;
  // two servers racing with one key fail on messages_client_key).
  conn.prepare(
    "msg_post_batch",
    "WITH input AS MATERIALIZED (SELECT * FROM unnest($1::text[],"
    "   $2::bigint[], $3::bigint[], $5::text[]) WITH ORDINALITY"
    "   AS t(content, caller, conv, key, ord)),"
    " locked AS MATERIALIZED (SELECT p.conversation_id AS conv,"
    "   u.id AS user_id, u.last_seq FROM unnest($4::bigint[]) AS b(conv)"
    "   JOIN participants p ON p.conversation_id = b.conv"
    "   JOIN users u ON u.id = p.user_id ORDER BY u.id FOR UPDATE OF u),"
    " valid AS MATERIALIZED (SELECT nextval('messages_id_seq') AS id, i.*"
    "   FROM input i WHERE EXISTS (SELECT 1 FROM locked l"
    "   WHERE l.conv = i.conv AND l.user_id = i.caller)"
    "   AND NOT EXISTS (SELECT 1 FROM messages k WHERE k.conversation_id"
    "   = i.conv AND k.user_id = i.caller AND k.client_key = NULLIF(i.key,"
    "   '')) ORDER BY i.ord),"
    " inbox AS MATERIALIZED (SELECT l.user_id, v.ord, v.id,"
    "   l.last_seq + row_number() OVER (PARTITION BY l.user_id"
    "   ORDER BY v.ord) AS seq FROM valid v JOIN locked l ON l.conv = v.conv),"
    " m AS (INSERT INTO messages (id, content, user_id, conversation_id,"
    "   client_key) SELECT id, content, caller, conv, NULLIF(key, '')"
    "   FROM valid),"
    " c AS (UPDATE conversations SET last_message_id = x.mid"
    "   FROM (SELECT conv, max(id) AS mid FROM valid GROUP BY conv) x"
    "   WHERE conversations.id = x.conv),"
    " r AS (UPDATE participants SET messages_read_at = now(),"
    "   last_read_message_id = GREATEST(last_read_message_id, x.mid)"
    "   FROM (SELECT caller, conv, max(id) AS mid FROM valid"
    "   GROUP BY caller, conv) x"
    "   WHERE participants.user_id = x.caller"
    "   AND participants.conversation_id = x.conv),"
    " s AS (UPDATE users SET last_seq = x.seq FROM (SELECT user_id,"
    "   max(seq) AS seq FROM inbox GROUP BY user_id) x"
    "   WHERE users.id = x.user_id),"
    " d AS (INSERT INTO deliveries (user_id, seq, message_id)"
    "   SELECT user_id, seq, id FROM inbox)"
    " SELECT ord, id, " PARLEY_TS("now()") ", user_id, seq FROM inbox"
                                           " ORDER BY ord, user_id");
  // One post alone, as most batches are below ~2,000 posts/s: the same
  // locks and writes with scalar parameters, and the same rows back. The
  // array statement's unnest, window and grouping were a sixth of its time
  // for one message (docs/benchmarks.md).
  conn.prepare(
    "msg_post_one",
    "WITH locked AS MATERIALIZED (SELECT u.id AS user_id, u.last_seq"
    "   FROM participants p JOIN users u ON u.id = p.user_id"
    "   WHERE p.conversation_id = $3::bigint ORDER BY u.id FOR UPDATE OF u),"
    " valid AS MATERIALIZED (SELECT nextval('messages_id_seq') AS id"
    "   WHERE EXISTS (SELECT 1 FROM locked WHERE user_id = $2::bigint)"
    "   AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id ="
    "   $3::bigint AND user_id = $2::bigint AND client_key ="
    "   NULLIF($4::text, ''))),"
    " m AS (INSERT INTO messages (id, content, user_id, conversation_id,"
    "   client_key) SELECT id, $1::text, $2::bigint, $3::bigint,"
    "   NULLIF($4::text, '') FROM valid),"
    " c AS (UPDATE conversations SET last_message_id = v.id FROM valid v"
    "   WHERE conversations.id = $3::bigint),"
    " r AS (UPDATE participants SET messages_read_at = now(),"
    "   last_read_message_id = GREATEST(last_read_message_id, v.id)"
    "   FROM valid v WHERE participants.user_id = $2::bigint"
    "   AND participants.conversation_id = $3::bigint),"
    " s AS (UPDATE users SET last_seq = l.last_seq + 1 FROM locked l, valid v"
    "   WHERE users.id = l.user_id),"
    " d AS (INSERT INTO deliveries (user_id, seq, message_id)"
    "   SELECT l.user_id, l.last_seq + 1, v.id FROM locked l, valid v)"
    " SELECT 1, v.id, " PARLEY_TS("now()") ", l.user_id, l.last_seq + 1"
                                           " FROM locked l, valid v"
                                           " ORDER BY l.user_id");
  conn.prepare("msg_by_key",
               "SELECT id, content, user_id, " PARLEY_TS(
                 "created_at") " FROM messages WHERE conversation_id = $1"
                               " AND user_id = $2 AND client_key = $3");
}

namespace {

// Runs the statement that fits the batch; rows as prepare_posts says.
pqxx::result run_batch(pqxx::transaction_base& tx,
                       const std::vector<new_message>& posts) {
  if (posts.size() == 1) {
    const auto& p = posts.front();
    return tx.exec_prepared("msg_post_one", p.content, p.caller,
                            p.conversation_id, p.key);
  }
  auto c = columns(posts);
  return tx.exec_prepared("msg_post_batch", pg_array(c.content),
                          pg_array(c.caller), pg_array(c.conv),
                          pg_array(c.unique_convs), pg_array(c.key));
}

} // namespace

std::vector<std::optional<created_message>>
create_messages(pqxx::transaction_base& tx,
                const std::vector<new_message>& posts) {
  auto rows = run_batch(tx, posts);
  std::vector<std::optional<created_message>> saved(posts.size());
  for (const auto& row : rows) {
    auto& created = saved.at(row[0].as<size_t>() - 1);
    if (!created) {
      const auto& p = posts.at(row[0].as<size_t>() - 1);
      created = created_message{};
      created->msg = message{row[1].as<int64_t>(), p.content, p.caller,
                             p.conversation_id, row[2].as<std::string>()};
    }
    created->recipients.push_back(
      recipient{row[3].as<int64_t>(), row[4].as<int64_t>()});
  }
  return saved;
}

std::optional<message> find_keyed_message(pqxx::transaction_base& tx,
                                          const new_message& post) {
  if (post.key.empty())
    return std::nullopt;
  auto rows = tx.exec_prepared("msg_by_key", post.conversation_id, post.caller,
                               post.key);
  if (rows.empty())
    return std::nullopt;
  return to_message(rows[0], 0, post.conversation_id);
}

} // namespace parley::queries
