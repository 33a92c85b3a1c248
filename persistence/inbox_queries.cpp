#include "persistence/inbox_queries.hpp"

#include <string>

#include "actors/errors.hpp"
#include "persistence/pg_array.hpp"
#include "persistence/queries.hpp"
#include "persistence/sql_text.hpp"

namespace parley::queries {

namespace {

// The statement that reads the inboxes of `requests`, a row source with
// the columns (user_id, after, lim, ord), in one snapshot. One row per
// event: ord, the user's last_seq and min_seq, then the event's seq, id,
// content, user_id, created_at, conversation_id. A page without events has
// one row with NULL event columns; a user who does not exist has none.
// The user's min_seq is a lateral join, read once per request: in the
// select list it was a subquery run again for every event of the page.
std::string inbox_sql(const char* requests) {
  return std::string{"SELECT r.ord, u.last_seq, f.min_seq, e.seq, e.id,"
                     " e.content, e.user_id, " PARLEY_TS(
                       "e.created_at") ","
                                       " e.conversation_id FROM "}
         + requests
         + " JOIN users u ON u.id = r.user_id CROSS JOIN LATERAL (SELECT"
           " COALESCE(min(seq), 0) AS min_seq FROM deliveries"
           " WHERE user_id = u.id) f LEFT JOIN LATERAL (SELECT"
           " d.seq, m.id, m.content, m.user_id, m.created_at,"
           " m.conversation_id FROM deliveries d JOIN messages m"
           " ON m.id = d.message_id WHERE d.user_id = u.id"
           " AND d.seq > r.after ORDER BY d.seq LIMIT r.lim) e ON true"
           " ORDER BY r.ord, e.seq";
}

// The request as the statements take it: "counters only" has no page.
inbox_request normalised(inbox_request r) {
  if (r.after < 0 || r.limit < 0)
    r.limit = 0;
  return r;
}

pqxx::result run(pqxx::transaction_base& tx,
                 const std::vector<inbox_request>& requests) {
  if (requests.size() == 1) {
    auto r = normalised(requests.front());
    return tx.exec_prepared("inbox_read", r.user, r.after, r.limit);
  }
  std::vector<int64_t> users, afters, limits;
  for (const auto& request : requests) {
    auto r = normalised(request);
    users.push_back(r.user);
    afters.push_back(r.after);
    limits.push_back(r.limit);
  }
  return tx.exec_prepared("inbox_read_batch", pg_array(users), pg_array(afters),
                          pg_array(limits));
}

} // namespace

void prepare_inbox(pqxx::connection& conn) {
  // One read alone, as most are: the same statement over one row of
  // scalar parameters (as cheap as a statement of its own, by pgbench).
  conn.prepare("inbox_read",
               inbox_sql("(VALUES ($1::bigint, $2::bigint, $3::bigint,"
                         " 1::bigint)) AS r(user_id, after, lim, ord)"));
  conn.prepare("inbox_read_batch",
               inbox_sql("unnest($1::bigint[], $2::bigint[], $3::bigint[])"
                         " WITH ORDINALITY AS r(user_id, after, lim, ord)"));
}

std::vector<caf::expected<inbox_page>>
read_inboxes(pqxx::transaction_base& tx,
             const std::vector<inbox_request>& requests) {
  std::vector<caf::expected<inbox_page>> pages(requests.size(),
                                               make_error(ec::not_found));
  if (requests.empty())
    return pages;
  for (const auto& row : run(tx, requests)) {
    auto& page = pages.at(row[0].as<size_t>() - 1);
    if (!page)
      page = inbox_page{row[1].as<int64_t>(), row[2].as<int64_t>(), {}};
    if (row[3].is_null())
      continue; // no events after the cursor
    auto conv = row[8].as<int64_t>();
    page->events.push_back(
      inbox_event{row[3].as<int64_t>(), to_message(row, 4, conv)});
  }
  return pages;
}

} // namespace parley::queries
