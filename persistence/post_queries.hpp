#pragma once

#include <cstdint>
#include <optional>
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
  /// The client's Idempotency-Key, "" for none: a post that repeats the
  /// key of an earlier one of its sender in its conversation is not saved.
  std::string key;
};

/// Prepares the statements of create_messages on a fresh connection.
void prepare_posts(pqxx::connection& conn);

/// Saves a batch of posts with one statement, whatever the batch size (a
/// batch of one has a statement of its own, with the same effects): it
/// locks every participant (user-id order, so batches never deadlock), reads
/// their inbox counters and writes messages, last messages, senders' read
/// cursors, counters and inbox rows. Run in autocommit, the statement is the
/// whole transaction. A post to a conversation its caller is not in (or by an
/// unknown caller), or one that repeats a key, writes nothing and comes back
/// empty; the others get their message and every participant's seq, in
/// batch order.
std::vector<std::optional<created_message>>
create_messages(pqxx::transaction_base& tx,
                const std::vector<new_message>& posts);

/// The message `post`'s sender saved earlier in its conversation with its
/// key; nullopt without a key or if there is none.
std::optional<message> find_keyed_message(pqxx::transaction_base& tx,
                                          const new_message& post);

} // namespace parley::queries
