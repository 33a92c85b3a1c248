#pragma once

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>
#include <pqxx/pqxx>

#include "actors/events.hpp"

namespace parley::queries {

/// One read of a user's inbox: at most `limit` events after seq `after`.
/// `after` < 0 or `limit` < 0 reads the user's counters only.
struct inbox_request {
  int64_t user = 0;
  int64_t after = 0;
  int64_t limit = 0;
};

/// Prepares the statements of read_inboxes on a fresh connection.
void prepare_inbox(pqxx::connection& conn);

/// The inbox of `user` after `after` (at most `limit` events, seq order),
/// with the user's newest and oldest retained seq; not_found if the user
/// does not exist.
caf::expected<inbox_page> read_inbox(pqxx::transaction_base& tx, int64_t user,
                                     int64_t after, int64_t limit);

/// Many reads in one statement (one snapshot, one round trip), answered in
/// the order asked: what read_inbox would answer each. A stream opens with
/// a read, and a reconnect storm opens thousands at once.
std::vector<caf::expected<inbox_page>>
read_inboxes(pqxx::transaction_base& tx,
             const std::vector<inbox_request>& requests);

} // namespace parley::queries
