#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <pqxx/pqxx>

#include "actors/model.hpp"

namespace parley::queries {

/// A message post as the API validated it, not yet saved.
struct new_message {
  int64_t caller = 0;
  int64_t conversation_id = 0;
  std::string content;
};

/// Prepares the statements of create_messages on a fresh connection.
void prepare_posts(pqxx::connection& conn);

/// Saves a batch of posts in the caller's transaction with one statement,
/// whatever the batch size: it locks every participant (user-id order, so
/// batches never deadlock), reads their inbox counters and writes messages,
/// last messages, senders' read cursors, counters and inbox rows. Posts to a
/// conversation the caller is not in come back as not_found (or unknown_caller)
/// and write nothing; the others get their message and every participant's seq,
/// in batch order.
std::vector<caf::expected<created_message>>
create_messages(pqxx::work& tx, const std::vector<new_message>& posts);

} // namespace parley::queries
