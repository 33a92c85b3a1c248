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

/// The inboxes asked for, in one statement (one snapshot, one round trip),
/// answered in the order asked: each page holds at most `limit` events
/// after `after`, in seq order, with the user's newest and oldest retained
/// seq; not_found for a user who does not exist. A stream opens with
/// a read, and a reconnect storm opens thousands at once.
std::vector<caf::expected<inbox_page>>
read_inboxes(pqxx::transaction_base& tx,
             const std::vector<inbox_request>& requests);

} // namespace parley::queries
