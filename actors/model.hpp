#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

namespace parley {

/// A user as the API shows it.
struct user {
  int64_t id = 0;
  std::string username;
  std::optional<std::string> avatar_url;
};

/// A chat message; `created_at` is already RFC 3339 UTC text.
struct message {
  int64_t id = 0;
  std::string content;
  int64_t user_id = 0;
  int64_t conversation_id = 0;
  std::string created_at;
};

/// A conversation seen from one participant.
struct conversation {
  int64_t id = 0;
  user other;
  std::optional<message> last_message;
  bool has_unread = false;
};

/// Reply to "create conversation": `created` tells 201 from 200.
struct conversation_reply {
  conversation conv;
  bool created = false;
};

/// Reply to a message post: `replayed` tells a post sent again with the key
/// of one saved before (answered with that message, saved once) from a new
/// one.
struct posted_message {
  message msg;
  bool replayed = false;
};

/// One inbox row: `user_id` gets the message as its event number `seq`.
struct recipient {
  int64_t user_id = 0;
  int64_t seq = 0;
};

/// A committed message and the inbox seq of every participant.
struct created_message {
  message msg;
  std::vector<recipient> recipients;
};

using user_list = std::vector<user>;
using message_list = std::vector<message>;
using conversation_list = std::vector<conversation>;

} // namespace parley

// Local-only types: they never leave the process, so no inspect() needed.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::user)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::conversation)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::conversation_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::created_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::posted_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::message_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::conversation_list)
